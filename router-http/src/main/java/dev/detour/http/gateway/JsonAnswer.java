package dev.detour.http.gateway;

/**
 * What an {@code http} provider answered on a plain JSON route (a 2xx: errors are failures).
 *
 * @param status      the status
 * @param contentType its content type, or null
 * @param body        the body
 */
public record JsonAnswer(int status, String contentType, byte[] body) {
}
