package dev.detour.core.stream;

import dev.detour.core.Failure;

/**
 * A stream that moved to another provider mid-answer: who failed and why, who continued, how much the
 * caller already had, and how much of the continuation restated it (removed before the caller saw it).
 *
 * @param from      the provider whose stream failed
 * @param to        the provider that continued it
 * @param reason    why the stream failed
 * @param relayed   elements the caller had received when it failed
 * @param sentWords words of text the caller had received when it failed
 * @param restated  characters at the start of the continuation that restated text the caller had
 */
public record Failover(String from, String to, Failure reason, int relayed, int sentWords, int restated) {
}
