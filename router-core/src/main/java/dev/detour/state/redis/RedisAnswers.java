package dev.detour.state.redis;

import dev.detour.core.spi.SharedAnswers;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import reactor.core.publisher.Mono;

/**
 * Last-known-good answers in Redis ({@code answers.lua}): per route, a sorted set of keys by the time their answer
 * was kept, trimmed to the capacity and the staleness, and per key the answer with that time, expiring with the
 * staleness. Keys are SHA-256 digests of the route's keys (a request can be long and hold anything).
 */
final class RedisAnswers implements SharedAnswers {

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    });

    private final RedisLink link;

    RedisAnswers(RedisLink link) {
        this.link = link;
    }

    @Override
    public void put(String route, String key, byte[] answer, Duration maxStaleness, int capacity) {
        String member = digest(key);
        link.eval(RedisLink.ANSWERS, keys(route, member), "put", member, Long.toString(maxStaleness.toMillis()),
                Integer.toString(capacity), new String(answer, StandardCharsets.ISO_8859_1)).subscribe();
    }

    @Override
    public Mono<Stored> get(String route, String key) {
        return link.eval(RedisLink.ANSWERS, keys(route, digest(key)), "get")
                .filter(reply -> reply.size() == 2)
                .map(reply -> new Stored(((String) reply.get(1)).getBytes(StandardCharsets.ISO_8859_1),
                        Duration.ofMillis(Math.max(0, (Long) reply.get(0)))));
    }

    private String[] keys(String route, String member) {
        String index = link.prefix + "lkg:{" + route + "}";
        return new String[] {index, index + ":" + member};
    }

    private static String digest(String key) {
        MessageDigest sha = SHA256.get();
        return Base64.getUrlEncoder().withoutPadding().encodeToString(sha.digest(key.getBytes(StandardCharsets.UTF_8)));
    }
}
