package dev.detour.http;

import dev.detour.http.limits.KeyLimits;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import reactor.netty.http.server.HttpServerRequest;

/**
 * Checks a request's bearer key against the router's keys, in constant time; no keys means no check. Each
 * key has a name, which is what logs and metrics say (never the key), and its limits ({@link KeyLimits}),
 * checked after this.
 */
final class ClientAuth {

    /** One key: its name, its bytes, and its limits and meters (null: none). */
    record Client(String name, byte[] key, KeyLimits.Key limits) {

        /** A key with no limits and no meters. */
        static Client of(String name, String key) {
            return new Client(name, key.getBytes(StandardCharsets.UTF_8), null);
        }
    }

    /** What the check decided: the client (null when keys are off or the key is unknown), and the error to answer or null. */
    record Admission(Client client, ApiError error) {

        static final Admission OPEN = new Admission(null, null);

        /** The client's limits, or null. */
        KeyLimits.Key limits() {
            return client == null ? null : client.limits();
        }
    }

    private final List<Client> clients;
    private final String what;

    ClientAuth(List<Client> clients, String what) {
        this.clients = List.copyOf(clients);
        this.what = what;
    }

    /** Keys without names, limits or counters (the admin token). */
    static ClientAuth keys(List<String> keys, String what) {
        return new ClientAuth(keys.stream().map(key -> Client.of(what, key)).toList(), what);
    }

    boolean enabled() {
        return !clients.isEmpty();
    }

    /** Null when the request may pass, otherwise the error to answer (401). */
    ApiError check(HttpServerRequest request) {
        return admit(request).error();
    }

    /** Who sent the request and whether it may pass: its key is one of the keys. */
    Admission admit(HttpServerRequest request) {
        return admit(request, false);
    }

    /**
     * {@link #admit(HttpServerRequest)}; with {@code apiKeyHeader} (the Anthropic door), an {@code x-api-key}
     * header is the key too, read first when both are sent.
     */
    Admission admit(HttpServerRequest request, boolean apiKeyHeader) {
        if (clients.isEmpty()) {
            return Admission.OPEN;
        }
        String apiKey = apiKeyHeader ? request.requestHeaders().get("x-api-key") : null;
        String header = request.requestHeaders().get(HttpHeaderNames.AUTHORIZATION);
        if (apiKey == null && (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7))) {
            return new Admission(null, ApiError.unauthorized("missing " + what + ": send "
                    + (apiKeyHeader ? "'x-api-key: <key>' or " : "") + "'Authorization: Bearer <key>'"));
        }
        byte[] given = (apiKey != null ? apiKey : header.substring(7)).strip().getBytes(StandardCharsets.UTF_8);
        Client match = null;
        for (Client client : clients) {
            if (MessageDigest.isEqual(client.key(), given) && match == null) {
                match = client;
            }
        }
        if (match == null) {
            return new Admission(null, ApiError.unauthorized("wrong " + what));
        }
        return new Admission(match, null);
    }
}
