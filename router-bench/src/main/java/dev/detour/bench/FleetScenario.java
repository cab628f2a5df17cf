package dev.detour.bench;

import dev.detour.http.DetourServer;
import dev.detour.http.config.ConfigLoader;
import dev.detour.http.config.ConfigVersions;
import dev.detour.sim.Behaviour;
import dev.detour.sim.SimulatedProvider;
import io.micrometer.core.instrument.FunctionCounter;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;

/**
 * The {@code fleet} scenario: two router instances sharing one Redis. First the same open-loop load through an
 * instance whose state is in memory and through one on Redis (its peer on the same Redis), for the latency Redis
 * adds; then a hard-down primary behind two instances, with breakers per instance and shared, counting the calls
 * that reach it. Redis is the one {@code DETOUR_REDIS_URL} names, else a {@code redis-server} from the PATH started
 * on a free port for the run.
 */
final class FleetScenario {

    private static final int DOWN_REQUESTS = 200;

    private final Options options;
    private final LoadGenerator generator;

    FleetScenario(Options options, LoadGenerator generator) {
        this.options = options;
        this.generator = generator;
    }

    Report.Scenario run() {
        try (Redis redis = Redis.fromEnvironmentOrStarted();
             SimulatedProvider sim = SimulatedProvider.builder().seed(options.seed())
                     .model("bench", Behaviour.answer("The next town is twelve kilometres away."))
                     .model("primary", Behaviour.status(503))
                     .model("secondary", Behaviour.answer("The next town is twelve kilometres away.")).start()) {
            double rate = options.rate();
            List<Report.Series> series = new ArrayList<>();
            Map<String, Double> figures = new LinkedHashMap<>();
            Report.Series memory;
            Report.Series shared;
            double fallbacks;
            try (Fleet local = new Fleet(sim, null, 1); Fleet fleet = new Fleet(sim, redis.url, 2)) {
                for (Fleet warm : List.of(local, fleet)) {
                    generator.run(new LoadGenerator.Plan("fleet: warm-up", LoadGenerator.Target.chat(warm.url(0), "bench", false),
                            Arrivals.fixed(rate), options.warmup(), options.duration()), LoadGenerator.Control.NONE);
                }
                memory = latency("state in memory", local.url(0), rate);
                shared = latency("state on Redis", fleet.url(0), rate);
                fallbacks = fleet.fallbacks();
            }
            series.add(memory);
            series.add(shared);
            for (String p : List.of("p50", "p99", "p99.9")) {
                figures.put("redis_added_" + p + "_ms", Report.round(shared.ms(p) - memory.ms(p)));
            }
            figures.put("redis_fallbacks", fallbacks);
            figures.put("down_failed_calls_per_instance_breakers", failedCalls(sim, null)[0]);
            double[] down = failedCalls(sim, redis.url);
            figures.put("down_failed_calls_shared_breakers", down[0]);
            figures.put("down_shared_redis_fallbacks", down[1]);
            return new Report.Scenario("fleet", "Two router instances on one Redis. Latency: the same open-loop load through an"
                    + " instance with its state in memory and through one with its state on Redis (breaker results and"
                    + " budgets written to Redis on every call; decisions never wait on it). Then " + DOWN_REQUESTS
                    + " requests, alternating between two instances, against a primary that answers every call with a 503,"
                    + " with breakers per instance and shared: the calls that reached the primary.", series, figures,
                    List.of("Breakers open at 50 % failures over the last 20 calls (at least 10). Redis timeout 5 ms;"
                            + " fallbacks counts Redis operations that timed out or failed and were served from local state.",
                            "Redis: " + redis.origin + "."),
                    "fleet.svg");
        }
    }

    private Report.Series latency(String name, String url, double rate) {
        Run run = generator.run(new LoadGenerator.Plan("fleet: " + name, LoadGenerator.Target.chat(url, "bench", false),
                options.poisson() ? Arrivals.poisson(rate, options.seed()) : Arrivals.fixed(rate), options.warmup(),
                options.duration()), LoadGenerator.Control.NONE);
        return Report.Series.of(name, "latency", rate, run.first());
    }

    /**
     * Sends the requests alternately to two fresh instances: the calls the hard-down primary got, and the Redis
     * operations served from local state meanwhile.
     */
    private static double[] failedCalls(SimulatedProvider sim, String redisUrl) {
        sim.reset();
        try (Fleet fleet = new Fleet(sim, redisUrl, 2)) {
            Flux.range(0, DOWN_REQUESTS)
                    .concatMap(i -> HttpClient.create().post().uri(fleet.url(i % 2) + "/v1/chat/completions")
                            .send(ByteBufFlux.fromString(Mono.just("{\"model\":\"main\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")))
                            .responseSingle((response, body) -> body.asString().then(Mono.just(response.status().code()))))
                    .blockLast(Duration.ofMinutes(2));
            return new double[] {sim.stats("primary").requests(), fleet.fallbacks()};
        }
    }

    /** Router instances on one simulator, their state in memory ({@code redisUrl} null) or on one Redis. */
    private static final class Fleet implements AutoCloseable {

        final List<DetourServer> servers = new ArrayList<>();

        Fleet(SimulatedProvider sim, String redisUrl, int size) {
            String provider = ": { type: openai, base-url: \"" + sim.baseUrl() + "/v1\", model: %s, max-connections: 512 }\n";
            String yaml = "server: { port: 0, shutdown-grace: 1s }\n"
                    + (redisUrl == null ? "" : "state: { store: redis, redis: { url-env: DETOUR_REDIS_URL, timeout: 5ms, key-prefix: \"bench-fleet-" + System.nanoTime() + ":\" } }\n")
                    + "breaker: { window: 20, minimum-calls: 10, failure-rate: 0.5, open-for: 60s }\n"
                    + "providers:\n  bench" + provider.formatted("bench") + "  primary" + provider.formatted("primary")
                    + "  secondary" + provider.formatted("secondary")
                    + "routes:\n  - alias: bench\n    tiers: [ { providers: [bench] } ]\n"
                    + "  - alias: main\n    deadline: 2s\n    tiers: [ { providers: [primary], timeout: 1s }, { providers: [secondary], timeout: 1s } ]\n";
            for (int i = 0; i < size; i++) {
                servers.add(DetourServer.start(new ConfigVersions(ConfigLoader.parse(yaml, "fleet.yaml"), "fleet.yaml"),
                        Map.of("DETOUR_REDIS_URL", redisUrl == null ? "" : redisUrl)::get,
                        new PrintStream(OutputStream.nullOutputStream(), false)));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (redisUrl != null && !servers.stream().allMatch(s -> s.gateway().router().stateStore().health().available())) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the instances did not reach Redis within 10 s");
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
        }

        String url(int i) {
            return servers.get(i).baseUrl();
        }

        double fallbacks() {
            return servers.stream().mapToDouble(s -> {
                FunctionCounter counter = s.registry().find("detour.state.store.fallbacks").functionCounter();
                return counter == null ? 0 : counter.count();
            }).sum();
        }

        @Override
        public void close() {
            servers.forEach(DetourServer::close);
        }
    }

    /** The Redis of the run: named by the environment, or a redis-server started for it. */
    private static final class Redis implements AutoCloseable {

        final String url;
        final String origin;
        private final Process process;

        private Redis(String url, String origin, Process process) {
            this.url = url;
            this.origin = origin;
            this.process = process;
        }

        static Redis fromEnvironmentOrStarted() {
            String url = System.getenv("DETOUR_REDIS_URL");
            if (url != null && !url.isBlank()) {
                return new Redis(url, "DETOUR_REDIS_URL", null);
            }
            Path binary = null;
            for (String place : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
                if (Files.isExecutable(Path.of(place, "redis-server"))) {
                    binary = Path.of(place, "redis-server");
                    break;
                }
            }
            if (binary == null) {
                throw new IllegalStateException("the fleet scenario needs Redis: set DETOUR_REDIS_URL or put redis-server on the PATH");
            }
            int port;
            try (ServerSocket socket = new ServerSocket(0)) {
                port = socket.getLocalPort();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            Process process;
            try {
                process = new ProcessBuilder(binary.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                        "--save", "", "--appendonly", "no").redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            } catch (IOException e) {
                throw new IllegalStateException("cannot start " + binary, e);
            }
            Redis redis = new Redis("redis://127.0.0.1:" + port, "redis-server " + port + " started for the run", process);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!command(redis.url, "PING")) {
                if (System.nanoTime() > deadline) {
                    redis.close();
                    throw new IllegalStateException("redis-server did not answer within 10 s");
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
            return redis;
        }

        /** Sends one inline command to the Redis at {@code url} (host and port only); whether it answered +PONG or +OK. */
        static boolean command(String url, String command) {
            java.net.URI uri = java.net.URI.create(url);
            try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
                socket.setSoTimeout(1000);
                socket.getOutputStream().write((command + "\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                return socket.getInputStream().read() == '+';
            } catch (IOException e) {
                return false;
            }
        }

        @Override
        public void close() {
            if (process != null) {
                process.destroy();
                try {
                    process.waitFor(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
