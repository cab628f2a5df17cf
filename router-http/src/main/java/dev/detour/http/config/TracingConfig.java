package dev.detour.http.config;

/**
 * Traces: every request the router serves is a span (its parent the client's {@code traceparent}, if
 * sent), with a span per route execution and per provider attempt under it, exported over OTLP/HTTP.
 * Off unless a {@code tracing} section names an endpoint; off, no observation is made at all.
 *
 * @param otlpEndpoint where spans are sent, OTLP over HTTP (e.g. {@code http://collector:4318/v1/traces})
 * @param sampleRatio    the share of traces started here that are kept, from 0 to 1 (1 unless set); a
 *                       client's sampled flag is followed
 * @param captureContent whether LLM attempts' spans record the messages sent and received
 *                       ({@code gen_ai.input.messages}, {@code gen_ai.output.messages}); false unless set, as
 *                       prompts and answers may hold personal data
 */
public record TracingConfig(String otlpEndpoint, Double sampleRatio, Boolean captureContent) {

    /** Takes the defaults unless set. */
    public TracingConfig {
        sampleRatio = sampleRatio != null ? sampleRatio : 1.0;
        captureContent = captureContent != null && captureContent;
    }
}
