package dev.detour.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import reactor.netty.http.server.HttpServerRequest;

/** Checks a request's bearer key against the router's keys, in constant time; no keys means no check. */
final class ClientAuth {

    private final List<byte[]> keys;
    private final String what;

    ClientAuth(List<String> keys, String what) {
        this.keys = keys.stream().map(key -> key.getBytes(StandardCharsets.UTF_8)).toList();
        this.what = what;
    }

    boolean enabled() {
        return !keys.isEmpty();
    }

    /** Null when the request may pass, otherwise the 401 to answer. */
    ApiError check(HttpServerRequest request) {
        if (keys.isEmpty()) {
            return null;
        }
        String header = request.requestHeaders().get(HttpHeaderNames.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return ApiError.unauthorized("missing " + what + ": send 'Authorization: Bearer <key>'");
        }
        byte[] given = header.substring(7).strip().getBytes(StandardCharsets.UTF_8);
        boolean match = false;
        for (byte[] key : keys) {
            match |= MessageDigest.isEqual(key, given);
        }
        return match ? null : ApiError.unauthorized("wrong " + what);
    }
}
