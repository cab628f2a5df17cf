package dev.detour.sim;

import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * A simulated LLM provider: one Reactor Netty HTTP server that speaks the OpenAI chat-completions
 * protocol ({@code POST /v1/chat/completions}) and the Anthropic messages protocol
 * ({@code POST /v1/messages}) over real sockets, streamed (server-sent events) or not, with a
 * scripted {@link Behaviour} per model name: answer (text, or a call of a tool the request offers),
 * latency, token pacing and faults; on the Anthropic protocol a request that enables {@code thinking} gets
 * a signed thinking block first. It counts what
 * it sees per model, including clients that hang up, so tests can assert that a cancelled call
 * reached the provider as a disconnect.
 *
 * <pre>{@code
 * try (SimulatedProvider sim = SimulatedProvider.builder()
 *         .apiKey("sk-test")
 *         .model("fast", Behaviour.answer("hi").latency(Latency.fixed(Duration.ofMillis(5))))
 *         .model("flaky", Behaviour.script(Behaviour.status(503), Behaviour.answer("ok")))
 *         .start()) {
 *     String url = sim.baseUrl() + "/v1/chat/completions";
 *     ...
 *     assertThat(sim.stats("flaky").requests()).isEqualTo(2);
 * }
 * }</pre>
 *
 * <p>Everything runs on Reactor Netty's event loops and Reactor's timers; nothing blocks but
 * {@link Builder#start()} and {@link #close()}, which belong on a test or main thread. A request
 * naming a model with no behaviour of its own gets the default behaviour. {@code GET /health}
 * answers 200.
 */
public final class SimulatedProvider implements AutoCloseable {

    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

    private final String apiKey;
    private final Long seed;
    private final Behaviour defaultBehaviour;
    private final Map<String, Behaviour> behaviours;
    private final Map<String, ModelState> states = new ConcurrentHashMap<>();
    private final String host;
    private final ChannelGroup connections = new DefaultChannelGroup("simulator", GlobalEventExecutor.INSTANCE);
    private final DisposableServer server;
    private final boolean countTokens;
    private final int embeddingDimensions;
    private final Map<String, com.fasterxml.jackson.databind.node.ObjectNode> lastRequests = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong tokenCounts = new java.util.concurrent.atomic.AtomicLong();

    private SimulatedProvider(Builder builder) {
        this.countTokens = builder.countTokens;
        this.embeddingDimensions = builder.embeddingDimensions;
        this.apiKey = builder.apiKey;
        this.seed = builder.seed;
        this.defaultBehaviour = builder.defaultBehaviour;
        this.behaviours = new ConcurrentHashMap<>(builder.behaviours);
        this.host = builder.host;
        this.server = HttpServer.create()
                .host(builder.host)
                .port(builder.port)
                .doOnChannelInit((observer, channel, remote) -> connections.add(channel))
                .handle(new SimHandler(this))
                .bindNow();
    }

    /** A builder for a simulator on 127.0.0.1 and an ephemeral port, with the default behaviour for every model. */
    public static Builder builder() {
        return new Builder();
    }

    /** The base URL, e.g. {@code http://127.0.0.1:41234}; the protocols' paths go after it. */
    public String baseUrl() {
        return "http://" + host + ":" + server.port();
    }

    /** The port the simulator listens on. */
    public int port() {
        return server.port();
    }

    /** The API key requests must carry, or null when any request is let in. */
    public String apiKey() {
        return apiKey;
    }

    /** The behaviour requests for {@code model} get: its own, or the default. */
    public Behaviour behaviour(String model) {
        return behaviours.getOrDefault(Objects.requireNonNull(model, "model"), defaultBehaviour);
    }

    /** Gives {@code model} a new behaviour from its next request on, and starts a script from its first step. */
    public SimulatedProvider behaviour(String model, Behaviour behaviour) {
        behaviours.put(Objects.requireNonNull(model, "model"), Objects.requireNonNull(behaviour, "behaviour"));
        ModelState state = states.get(model);
        if (state != null) {
            state.restartScript();
        }
        return this;
    }

    /** What the simulator saw for {@code model}; all zeros for a model it never saw. */
    public ModelStats stats(String model) {
        ModelState state = states.get(Objects.requireNonNull(model, "model"));
        return state == null ? ModelStats.empty(model) : state.snapshot();
    }

    /** What the simulator saw, per model, sorted by model name. */
    public Map<String, ModelStats> stats() {
        Map<String, ModelStats> all = new LinkedHashMap<>();
        new TreeMap<>(states).forEach((model, state) -> all.put(model, state.snapshot()));
        return all;
    }

    /**
     * Emits {@code model}'s stats as soon as they meet {@code condition} (at once if they already do):
     * a deterministic wait for what the server saw, e.g.
     * {@code sim.awaitStats("slow", s -> s.disconnects() == 1).block(Duration.ofSeconds(5))}.
     */
    public Mono<ModelStats> awaitStats(String model, Predicate<? super ModelStats> condition) {
        Objects.requireNonNull(condition, "condition");
        return state(Objects.requireNonNull(model, "model")).await(condition);
    }

    /**
     * The body of the latest chat request (either protocol) or embeddings request for {@code model}, as JSON; null
     * when none came (or since {@link #reset()}). What a test reads to see what a provider was sent.
     */
    public com.fasterxml.jackson.databind.node.ObjectNode lastRequest(String model) {
        return lastRequests.get(Objects.requireNonNull(model, "model"));
    }

    /** How many {@code count_tokens} requests were answered (see {@link Builder#countTokens()}). */
    public long tokenCounts() {
        return tokenCounts.get();
    }

    boolean countsTokens() {
        return countTokens;
    }

    int embeddingDimensions() {
        return embeddingDimensions;
    }

    void received(String model, com.fasterxml.jackson.databind.node.ObjectNode body) {
        lastRequests.put(model, body);
    }

    void countedTokens() {
        tokenCounts.incrementAndGet();
    }

    /**
     * Clears every model's counters and script position and restarts seeded random sequences. The
     * in-flight gauge keeps counting exchanges still open; their ends are not counted again.
     */
    public void reset() {
        states.values().forEach(ModelState::reset);
        lastRequests.clear();
        tokenCounts.set(0);
    }

    /** Completes when the server has closed. */
    public Mono<Void> onClose() {
        return server.onDispose();
    }

    /**
     * Stops listening, closes every open connection (an exchange still open counts as a disconnect)
     * and waits until all are closed; call it from a test or main thread only.
     */
    @Override
    public void close() {
        server.disposeNow(CLOSE_TIMEOUT);
        if (!connections.close().awaitUninterruptibly(CLOSE_TIMEOUT.toMillis())) {
            throw new IllegalStateException("simulator connections still open " + CLOSE_TIMEOUT + " after close");
        }
    }

    ModelState state(String model) {
        ModelState state = states.get(model);
        if (state == null) {
            ModelState created = new ModelState(model, seed);
            state = states.putIfAbsent(model, created);
            if (state == null) {
                state = created;
            }
        }
        return state;
    }

    @Override
    public String toString() {
        return "SimulatedProvider[" + baseUrl() + ", models=" + behaviours.keySet() + "]";
    }

    /** Configures a {@link SimulatedProvider}; {@link #start()} binds it. */
    public static final class Builder {

        private String apiKey;
        private Long seed;
        private Behaviour defaultBehaviour = Behaviour.defaults();
        private final Map<String, Behaviour> behaviours = new LinkedHashMap<>();
        private String host = "127.0.0.1";
        private int port;
        private boolean countTokens;
        private int embeddingDimensions;

        private Builder() {
        }

        /**
         * Also answers Anthropic's {@code POST /v1/messages/count_tokens}: {@code {"input_tokens": N}}, N the words of
         * the system prompt and messages' text (as a message's prompt tokens are counted). Off unless set: the path
         * is then a 404, like a server that cannot count.
         */
        public Builder countTokens() {
            this.countTokens = true;
            return this;
        }

        /**
         * Also answers OpenAI's {@code POST /v1/embeddings}: for each input (a string or an array of strings) a
         * deterministic unit vector of {@code dimensions} numbers drawn from the input's text, with the model's
         * behaviour's latency and status faults (a {@link Fault#status} answers that status). Off unless set.
         */
        public Builder embeddings(int dimensions) {
            if (dimensions < 1 || dimensions > 4096) {
                throw new IllegalArgumentException("dimensions must be between 1 and 4096, was " + dimensions);
            }
            this.embeddingDimensions = dimensions;
            return this;
        }

        /**
         * Requires {@code apiKey}: {@code Authorization: Bearer <key>} (OpenAI), or {@code x-api-key} and
         * {@code anthropic-version} (Anthropic). Without a key, requests need neither.
         */
        public Builder apiKey(String apiKey) {
            Objects.requireNonNull(apiKey, "apiKey");
            if (apiKey.isBlank()) {
                throw new IllegalArgumentException("apiKey must not be blank");
            }
            this.apiKey = apiKey;
            return this;
        }

        /** Gives requests for {@code model} their own behaviour. */
        public Builder model(String model, Behaviour behaviour) {
            Objects.requireNonNull(model, "model");
            if (model.isBlank()) {
                throw new IllegalArgumentException("model name must not be blank");
            }
            behaviours.put(model, Objects.requireNonNull(behaviour, "behaviour"));
            return this;
        }

        /** The behaviour of models without their own ({@link Behaviour#defaults()} unless set). */
        public Builder defaultBehaviour(Behaviour behaviour) {
            this.defaultBehaviour = Objects.requireNonNull(behaviour, "behaviour");
            return this;
        }

        /**
         * Draws latencies and fault probabilities from a generator seeded per model from {@code seed},
         * so the same sequence of requests to a model gets the same delays and faults again.
         * Unseeded, each draw uses {@link java.util.concurrent.ThreadLocalRandom}.
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** The address to listen on ({@code 127.0.0.1} unless set). */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        /** The port to listen on (0, the default, picks a free one). */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be between 0 and 65535, was " + port);
            }
            this.port = port;
            return this;
        }

        /** Binds the server and returns it running; blocks until bound, so call it from a test or main thread. */
        public SimulatedProvider start() {
            return new SimulatedProvider(this);
        }
    }
}
