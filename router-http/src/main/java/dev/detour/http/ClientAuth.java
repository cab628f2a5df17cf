package dev.detour.http;

import io.micrometer.core.instrument.Counter;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import reactor.netty.http.server.HttpServerRequest;

/**
 * Checks a request's bearer key against the router's keys, in constant time; no keys means no check. Each
 * key has a name, which is what logs and metrics say (never the key), and may have a request rate: past
 * it, the request is refused (429) with the seconds until the key's next token.
 */
final class ClientAuth {

    /** One key: its name, its bytes, and its bucket (null: no limit) and counters (null: not counted). */
    record Client(String name, byte[] key, TokenBucket bucket, Counter allowed, Counter limited) {

        /** A key with no limit and no counters. */
        static Client of(String name, String key) {
            return new Client(name, key.getBytes(StandardCharsets.UTF_8), null, null, null);
        }
    }

    /**
     * What the check decided: the client's name (null when keys are off or the key is unknown), and the
     * error to answer or null; {@code retryAfterSeconds} goes in a {@code retry-after} header when above 0.
     */
    record Admission(String client, ApiError error, long retryAfterSeconds) {

        static final Admission OPEN = new Admission(null, null, 0);
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

    /** Null when the request may pass, otherwise the error to answer (401, or 429 for a client over its rate). */
    ApiError check(HttpServerRequest request) {
        return admit(request).error();
    }

    /** Who sent the request and whether it may pass: its key is one of the keys, and the key is within its rate. */
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
                    + (apiKeyHeader ? "'x-api-key: <key>' or " : "") + "'Authorization: Bearer <key>'"), 0);
        }
        byte[] given = (apiKey != null ? apiKey : header.substring(7)).strip().getBytes(StandardCharsets.UTF_8);
        Client match = null;
        for (Client client : clients) {
            if (MessageDigest.isEqual(client.key(), given) && match == null) {
                match = client;
            }
        }
        if (match == null) {
            return new Admission(null, ApiError.unauthorized("wrong " + what), 0);
        }
        TokenBucket bucket = match.bucket();
        long wait = bucket == null ? 0 : bucket.tryTake();
        if (wait > 0) {
            count(match.limited());
            long seconds = TokenBucket.retryAfterSeconds(wait);
            return new Admission(match.name(), ApiError.clientLimited(match.name(), bucket.perMinute(), seconds), seconds);
        }
        count(match.allowed());
        return new Admission(match.name(), null, 0);
    }

    private static void count(Counter counter) {
        if (counter != null) {
            counter.increment();
        }
    }
}
