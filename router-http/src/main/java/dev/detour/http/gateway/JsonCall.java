package dev.detour.http.gateway;

import java.util.Arrays;
import java.util.Map;

/**
 * A call on a plain JSON route, forwarded to an {@code http} provider as it came: method, the path
 * below the route, the query string, the body and its content type.
 *
 * @param method      the HTTP method
 * @param path        the path below {@code /routes/{name}}, starting with {@code /}
 * @param query       the query string without {@code ?}, or empty
 * @param contentType the body's content type, or null
 * @param body        the body, possibly empty
 * @param headers     headers to pass on (request id, propagated user/session headers)
 */
public record JsonCall(String method, String path, String query, String contentType, byte[] body, Map<String, String> headers) {

    /** What identifies the same request for the last-known-good cache: method, path, query and body. */
    public String key() {
        return method + ' ' + path + '?' + query + '#' + Arrays.hashCode(body);
    }

    /** The path with its query, as sent upstream. */
    public String uri() {
        return query.isEmpty() ? path : path + '?' + query;
    }
}
