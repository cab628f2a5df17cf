/**
 * Routes whose answers are streams: a {@link dev.detour.core.stream.StreamRoute} treats a stream's first
 * element as the attempt's answer ({@link dev.detour.core.stream.Started}), relays the rest under one
 * deadline and an idle timeout, and after a mid-stream failure either ends with a
 * {@link dev.detour.core.stream.MidStreamException} or continues on another provider as a
 * {@link dev.detour.core.stream.Continuation} says, seamlessly or not at all.
 */
package dev.detour.core.stream;
