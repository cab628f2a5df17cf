package dev.detour.core;

import java.time.Duration;

/**
 * What a provider knows about the attempt it is serving.
 *
 * @param route    the route's name
 * @param tier     the tier's index, from 0
 * @param attempt  this provider's attempt number within the request, from 1
 * @param timeout  how long this attempt may take: its tier's timeout or the time the deadline left,
 *                 whichever is shorter; null when neither bounds it
 */
public record AttemptContext(String route, int tier, int attempt, Duration timeout) {
}
