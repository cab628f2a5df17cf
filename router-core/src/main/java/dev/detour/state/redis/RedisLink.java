package dev.detour.state.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * The store's one connection to Redis (and one for its pub/sub channel), and whether Redis answers. Every command
 * runs a Lua script by its SHA, under the store's timeout; a command that fails or times out marks Redis
 * unavailable (logged once), after which commands are not sent at all and callers use local state, until a
 * background check every {@code retryEvery} finds Redis answering again, reloads the scripts and tells the store
 * to reconcile. Nothing here blocks a caller; answers arrive on Lettuce's threads.
 */
final class RedisLink implements AutoCloseable {

    static final int BREAKER = 0;
    static final int BUDGET = 1;
    static final int ANSWERS = 2;
    static final int OVERRIDE = 3;
    static final int COUNTER = 4;
    private static final String[] SCRIPTS = {"breaker.lua", "budget.lua", "answers.lua", "override.lua", "counter.lua"};
    private static final String[] SOURCES = new String[SCRIPTS.length];
    /** Latin-1 maps each byte to one char, so answers' bytes pass through Redis unchanged as strings. */
    private static final StringCodec CODEC = new StringCodec(StandardCharsets.ISO_8859_1);

    static {
        for (int i = 0; i < SCRIPTS.length; i++) {
            try (InputStream in = RedisLink.class.getResourceAsStream(SCRIPTS[i])) {
                SOURCES[i] = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private final Logger log = Loggers.getLogger(RedisStateStore.class);
    final String prefix;
    final String channel;
    private final RedisURI uri;
    private final Duration timeout;
    private final ClientResources resources;
    private final RedisClient client;
    private final String[] shas = new String[SCRIPTS.length];
    private final AtomicBoolean connecting = new AtomicBoolean();
    private final AtomicBoolean warned = new AtomicBoolean();
    private final LongAdder fallbacks = new LongAdder();
    private final Disposable checks;
    private volatile StatefulRedisConnection<String, String> connection;
    private volatile StatefulRedisPubSubConnection<String, String> pubsub;
    private volatile boolean available;
    private volatile boolean closed;
    private volatile String detail = "connecting";
    private volatile Consumer<String> onMessage = message -> { };
    private volatile Runnable onReturn = () -> { };

    RedisLink(RedisURI uri, Duration timeout, String prefix, Duration retryEvery) {
        this.uri = uri;
        this.timeout = timeout;
        this.prefix = prefix;
        this.channel = prefix + "events";
        this.resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2).build();
        this.client = RedisClient.create(resources);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .socketOptions(SocketOptions.builder().connectTimeout(retryEvery.multipliedBy(2)).build())
                .timeoutOptions(TimeoutOptions.enabled(Duration.ofSeconds(1)))
                .build());
        this.checks = Flux.interval(Duration.ZERO, retryEvery, Schedulers.boundedElastic())
                .subscribe(tick -> {
                    if (!available) {
                        connect();
                    }
                });
    }

    /** Hands every message on the channel to {@code onMessage} and runs {@code onReturn} each time Redis answers again. */
    void listen(Consumer<String> onMessage, Runnable onReturn) {
        this.onMessage = onMessage;
        this.onReturn = onReturn;
    }

    boolean available() {
        return available;
    }

    String detail() {
        return detail;
    }

    long fallbacks() {
        return fallbacks.sum();
    }

    /** Counts an operation served from local state because Redis is unavailable. */
    void fellBack() {
        fallbacks.increment();
    }

    Duration timeout() {
        return timeout;
    }

    /**
     * Runs {@code script} and emits its reply's elements, or completes empty, at once when Redis is unavailable
     * and within the timeout when it fails to answer (which makes it unavailable): either way the caller uses
     * local state.
     */
    Mono<List<Object>> eval(int script, String[] keys, String... args) {
        StatefulRedisConnection<String, String> redis = connection;
        if (!available || redis == null) {
            fallbacks.increment();
            return Mono.empty();
        }
        return redis.reactive().<List<Object>>evalsha(shas[script], ScriptOutputType.MULTI, keys, args)
                .next()
                .timeout(timeout)
                .onErrorResume(error -> {
                    failed(error);
                    return Mono.empty();
                });
    }

    /** {@link #eval} of a script that answers one integer. */
    Mono<Long> evalLong(int script, String[] keys, String... args) {
        StatefulRedisConnection<String, String> redis = connection;
        if (!available || redis == null) {
            fallbacks.increment();
            return Mono.empty();
        }
        return redis.reactive().<Long>evalsha(shas[script], ScriptOutputType.INTEGER, keys, args)
                .next()
                .timeout(timeout)
                .onErrorResume(error -> {
                    failed(error);
                    return Mono.empty();
                });
    }

    /** Reads the hash {@code key} (the overrides) within the timeout; empty when Redis does not answer. */
    Mono<Map<String, String>> hash(String key) {
        StatefulRedisConnection<String, String> redis = connection;
        if (!available || redis == null) {
            return Mono.empty();
        }
        return redis.reactive().hgetall(key).collectMap(kv -> kv.getKey(), kv -> kv.getValue())
                .timeout(timeout)
                .onErrorResume(error -> {
                    failed(error);
                    return Mono.empty();
                });
    }

    private void failed(Throwable failure) {
        Throwable error = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        fallbacks.increment();
        available = false;
        String why = error instanceof TimeoutException ? "no answer within " + timeout.toMillis() + "ms"
                : error instanceof RedisConnectionException || error instanceof IOException ? "cannot connect"
                : error instanceof RedisCommandExecutionException e && String.valueOf(e.getMessage()).startsWith("NOSCRIPT")
                ? "scripts missing (Redis restarted)" : "error " + error.getClass().getSimpleName();
        detail = "unavailable: " + why + "; serving from local state";
        if (warned.compareAndSet(false, true)) {
            log.warn("shared state: Redis unavailable ({}); carrying on with local state until it answers again", why);
        }
    }

    /** Connects (or checks the connection), loads the scripts and subscribes; then Redis is available again. */
    private void connect() {
        if (closed || !connecting.compareAndSet(false, true)) {
            return;
        }
        Mono<StatefulRedisConnection<String, String>> main = connection != null ? Mono.just(connection)
                : Mono.fromCompletionStage(() -> client.connectAsync(CODEC, uri)).doOnNext(c -> connection = c);
        main.flatMap(redis -> redis.reactive().ping()
                        .thenMany(Flux.range(0, SOURCES.length).concatMap(i -> redis.reactive().scriptLoad(SOURCES[i])
                                .doOnNext(sha -> shas[i] = sha)))
                        .then(subscribed()))
                .timeout(Duration.ofSeconds(2))
                .subscribeOn(Schedulers.boundedElastic())
                .doFinally(signal -> connecting.set(false))
                .subscribe(ok -> { }, this::failed, this::answering);
    }

    private Mono<Void> subscribed() {
        if (pubsub != null) {
            return Mono.empty();
        }
        return Mono.fromCompletionStage(() -> client.connectPubSubAsync(CODEC, uri))
                .flatMap(connection -> {
                    connection.addListener(new RedisPubSubAdapter<>() {
                        @Override
                        public void message(String from, String message) {
                            onMessage.accept(message);
                        }
                    });
                    pubsub = connection;
                    return connection.reactive().subscribe(channel);
                });
    }

    private void answering() {
        if (closed) {
            return;
        }
        available = true;
        detail = "available";
        if (warned.compareAndSet(true, false)) {
            log.info("shared state: Redis answers again; shared state resumed");
        }
        onReturn.run();
    }

    @Override
    public void close() {
        closed = true;
        available = false;
        checks.dispose();
        if (pubsub != null) {
            pubsub.close();
        }
        if (connection != null) {
            connection.close();
        }
        client.shutdown(Duration.ofMillis(100), Duration.ofSeconds(2));
        resources.shutdown(100, 2000, TimeUnit.MILLISECONDS).awaitUninterruptibly(3000);
    }
}
