package dev.detour.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.core.internal.InMemoryCounters;
import dev.detour.core.spi.Counters;
import dev.detour.http.config.ConfigLoader;
import dev.detour.http.config.ConfigVersions;
import dev.detour.llm.Json;
import dev.detour.sim.SimulatedProvider;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;

/**
 * A simulator and a router over real sockets, for end-to-end tests: the router's YAML may name
 * {@code ${simulator}} (the simulator's base URL); the router listens on an ephemeral port.
 */
final class Harness implements AutoCloseable {

    static final Duration WAIT = Duration.ofSeconds(15);

    final SimulatedProvider simulator;
    final DetourServer router;
    final ByteArrayOutputStream log = new ByteArrayOutputStream();
    final HttpClient http;

    Harness(SimulatedProvider.Builder simulator, String yaml, Map<String, String> environment) {
        this(simulator, yaml, environment, null);
    }

    /**
     * A harness whose router counts spend caps and key limits in {@code counters} (null: in memory on the
     * system clock), e.g. {@link #stoppedClock()}'s, so that no window ends during a test.
     */
    Harness(SimulatedProvider.Builder simulator, String yaml, Map<String, String> environment, Counters counters) {
        this.simulator = simulator.start();
        String config = yaml.replace("${simulator}", this.simulator.baseUrl());
        this.router = DetourServer.start(new ConfigVersions(ConfigLoader.parse(config, "test.yaml"), "test.yaml"),
                environment::get, new PrintStream(log, true, StandardCharsets.UTF_8), counters);
        this.http = HttpClient.create().baseUrl(router.baseUrl());
    }

    /** In-memory counters on a clock stopped at 42 s past a minute and 6 hours before midnight UTC. */
    static InMemoryCounters stoppedClock() {
        long at = Duration.ofDays(20_000).plusHours(18).plusSeconds(42).toMillis();
        return new InMemoryCounters(() -> at);
    }

    /** A response, read whole. */
    record Response(int status, HttpHeaders headers, String body) {

        ObjectNode json() {
            return Json.object(body, "response");
        }
    }

    Response post(String path, String body, Map<String, String> headers) {
        return http.headers(h -> headers.forEach(h::set))
                .post()
                .uri(path)
                .send(ByteBufFlux.fromString(Mono.just(body)))
                .responseSingle((response, content) -> content.asString().defaultIfEmpty("")
                        .map(text -> new Response(response.status().code(), response.responseHeaders(), text)))
                .block(WAIT);
    }

    Response get(String path, Map<String, String> headers) {
        return http.headers(h -> headers.forEach(h::set))
                .get()
                .uri(path)
                .responseSingle((response, content) -> content.asString().defaultIfEmpty("")
                        .map(text -> new Response(response.status().code(), response.responseHeaders(), text)))
                .block(WAIT);
    }

    /** The value of one series in the router's Prometheus scrape, 0 when it is not there. */
    double metric(String series) {
        Matcher value = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$")
                .matcher(get("/metrics", Map.of()).body());
        return value.find() ? Double.parseDouble(value.group(1)) : 0;
    }

    static String chat(String model, boolean stream) {
        return "{\"model\":\"" + model + "\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }

    /**
     * Waits until {@code condition} holds, checking it on the test thread every 10 ms (the pause is a
     * timer, not a sleep); fails after {@link #WAIT}.
     */
    static void await(String what, BooleanSupplier condition) {
        await(what, condition, () -> "");
    }

    /** {@link #await(String, BooleanSupplier)}, saying what {@code context} gives on failure. */
    static void await(String what, BooleanSupplier condition, Supplier<String> context) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within " + WAIT + ": " + what + context.get());
            }
            Mono.delay(Duration.ofMillis(10)).block(WAIT);
        }
    }

    /** The request log's lines as JSON objects. */
    static List<ObjectNode> lines(String log) {
        List<ObjectNode> lines = new ArrayList<>();
        for (String line : log.split("\\R")) {
            if (!line.isBlank()) {
                lines.add(Json.object(line, "log line"));
            }
        }
        return lines;
    }

    String logText() {
        return log.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        router.close();
        simulator.close();
    }
}
