package dev.detour.core;

/**
 * The error object a provider answered with, as the provider named it: OpenAI's {@code type},
 * {@code code} and {@code param}, Anthropic's {@code type}. Each part is null when the provider did not
 * give it. A {@link Failure} carries it so that a gateway can hand the caller the provider's own error.
 *
 * @param type  the error's type, e.g. {@code invalid_request_error}
 * @param code  the error's code, e.g. {@code context_length_exceeded}
 * @param param the request field the error is about, e.g. {@code messages}
 */
public record UpstreamError(String type, String code, String param) {

    /** An upstream error of these parts, or null when all three are null. */
    public static UpstreamError of(String type, String code, String param) {
        return type == null && code == null && param == null ? null : new UpstreamError(type, code, param);
    }
}
