package dev.detour.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.http.config.ConfigException;
import dev.detour.http.config.ConfigVersions;
import dev.detour.http.config.ConfigWatcher;
import dev.detour.llm.Json;
import dev.detour.sim.Behaviour;
import dev.detour.sim.ModelStats;
import dev.detour.sim.SimulatedProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.HttpClientResponse;
import reactor.test.StepVerifier;

/**
 * The router's life end to end, over real sockets: graceful shutdown with a request in flight, a
 * client's disconnect reaching the provider, reloading from a watched file, and the request log.
 */
class LifecycleTest {

    private static final Duration WAIT = Harness.WAIT;
    private static final String ADMIN_TOKEN = "admin-token-lifecycle";
    private static final String CLIENT_KEY = "sk-client-secret-4e8d2c";
    private static final String UPSTREAM_KEY = "sk-upstream-secret-91ab7f";

    private static final String YAML = """
            server: { port: 0, shutdown-grace: 10s }
            admin: { token-env: ADMIN }
            providers:
              slow:   { type: openai, base-url: "${simulator}/v1", model: slow }
              paced:  { type: openai, base-url: "${simulator}/v1", model: paced }
              fast:   { type: openai, base-url: "${simulator}/v1", model: fast }
            routes:
              - alias: slow
                deadline: 30s
                tiers: [ { providers: [slow], timeout: 20s } ]
              - alias: paced
                deadline: 60s
                tiers: [ { providers: [paced], timeout: 20s } ]
              - alias: fast
                deadline: 10s
                tiers: [ { providers: [fast], timeout: 5s } ]
            """;

    @TempDir
    Path dir;

    private Harness h;
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
        if (h != null) {
            h.close();
        }
    }

    private static SimulatedProvider.Builder simulator() {
        return SimulatedProvider.builder()
                .model("slow", Behaviour.answer("slow but sure").latency(Duration.ofMillis(1500)))
                .model("paced", Behaviour.answer(IntStream.rangeClosed(1, 40).mapToObj(i -> "word" + i)
                        .collect(Collectors.joining(" "))).pacing(Duration.ofMillis(500)))
                .model("fast", Behaviour.answer("quick"));
    }

    /** A chat request that is sent when subscribed and read whole, without blocking. */
    private static Mono<Harness.Response> chatAsync(HttpClient http, String model, boolean stream) {
        return http.headers(headers -> headers.set("content-type", "application/json"))
                .post()
                .uri("/v1/chat/completions")
                .send(ByteBufFlux.fromString(Mono.just(Harness.chat(model, stream))))
                .responseSingle((response, content) -> content.asString().defaultIfEmpty("")
                        .map(text -> new Harness.Response(response.status().code(), response.responseHeaders(), text)));
    }


    // ---------------------------------------------------------------- (a) graceful shutdown

    @Test
    void gracefulShutdownCompletesTheRequestInFlightAndStopsAccepting() throws Exception {
        h = new Harness(simulator(), YAML, Map.of("ADMIN", ADMIN_TOKEN));
        HttpClient fresh = HttpClient.newConnection().baseUrl(h.router.baseUrl());
        assertThat(h.get("/readyz", Map.of()).status()).isEqualTo(200);

        CompletableFuture<Harness.Response> inFlight = chatAsync(fresh, "slow", false).toFuture();
        assertThat(h.simulator.awaitStats("slow", stats -> stats.inFlight() == 1).block(WAIT).requests()).isEqualTo(1);

        CompletableFuture<Void> closed = CompletableFuture.runAsync(h.router::close);

        // the listener is closed: a new connection is refused (polled on fresh connections, bounded)
        Integer refused = Mono.delay(Duration.ofMillis(10))
                .then(fresh.get().uri("/healthz").response().map(response -> response.status().code())
                        .onErrorReturn(-1))
                .repeat()
                .filter(code -> code == -1)
                .next()
                .block(WAIT);
        assertThat(refused).isEqualTo(-1);

        Harness.Response answer = inFlight.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.json().path("choices").path(0).path("message").path("content").asText()).isEqualTo("slow but sure");
        assertThat(answer.headers().get("x-detour-provider")).isEqualTo("slow");
        closed.get(WAIT.toSeconds(), TimeUnit.SECONDS);

        ModelStats slow = h.simulator.stats("slow");
        assertThat(slow.completed()).isEqualTo(1);
        assertThat(slow.disconnects()).isZero();
    }

    @Test
    void theRequestsAGracefulShutdownDrainsAreLogged() throws Exception {
        h = new Harness(simulator(), YAML, Map.of("ADMIN", ADMIN_TOKEN));
        CompletableFuture<Harness.Response> inFlight = chatAsync(HttpClient.newConnection().baseUrl(h.router.baseUrl()),
                "slow", false).toFuture();
        h.simulator.awaitStats("slow", stats -> stats.inFlight() == 1).block(WAIT);

        CompletableFuture<Void> closed = CompletableFuture.runAsync(h.router::close);

        assertThat(inFlight.get(WAIT.toSeconds(), TimeUnit.SECONDS).status()).isEqualTo(200);
        closed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        // close() has returned, so the log is closed and flushed: every request's line must be in it
        assertThat(Harness.lines(h.logText())).singleElement().satisfies(line -> {
            assertThat(line.path("route").asText()).isEqualTo("slow");
            assertThat(line.path("served_by").asText()).isEqualTo("slow");
            assertThat(line.path("status").asInt()).isEqualTo(200);
        });
    }

    @Test
    void aRequestStillInFlightWhenTheGraceRunsOutIsCutAndItsProviderCallCancelled() throws Exception {
        h = new Harness(SimulatedProvider.builder().model("slow", Behaviour.stall()),
                YAML.replace("shutdown-grace: 10s", "shutdown-grace: 200ms"), Map.of("ADMIN", ADMIN_TOKEN));
        CompletableFuture<String> inFlight = chatAsync(HttpClient.newConnection().baseUrl(h.router.baseUrl()), "slow", false)
                .map(response -> "status " + response.status())
                .onErrorResume(error -> Mono.just("closed: " + error.getClass().getSimpleName()))
                .toFuture();
        h.simulator.awaitStats("slow", stats -> stats.inFlight() == 1).block(WAIT);

        CompletableFuture.runAsync(h.router::close).get(WAIT.toSeconds(), TimeUnit.SECONDS);

        // the router closed: the client is answered or cut, and the provider sees its call cancelled
        assertThat(inFlight.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isNotNull();
        ModelStats slow = h.simulator.awaitStats("slow", stats -> stats.disconnects() == 1).block(WAIT);
        assertThat(slow.completed()).isZero();
    }

    // ---------------------------------------------------------------- (b) client disconnect

    @Test
    void aClientThatHangsUpOnAStreamClosesTheProvidersConnection() {
        h = new Harness(simulator(), YAML, Map.of("ADMIN", ADMIN_TOKEN));
        AtomicReference<HttpClientResponse> head = new AtomicReference<>();
        Flux<String> stream = h.http.headers(headers -> headers.set("content-type", "application/json"))
                .post()
                .uri("/v1/chat/completions")
                .send(ByteBufFlux.fromString(Mono.just(Harness.chat("paced", true))))
                .response((response, content) -> {
                    head.set(response);
                    return content.asString();
                });

        StepVerifier.create(stream, 1)
                .assertNext(first -> assertThat(first).startsWith("data: "))
                .thenCancel()
                .verify(WAIT);

        assertThat(head.get().status().code()).isEqualTo(200);
        assertThat(head.get().responseHeaders().get("content-type")).startsWith("text/event-stream");
        ModelStats gone = h.simulator.awaitStats("paced", stats -> stats.disconnects() == 1).block(WAIT);
        assertThat(gone.requests()).isEqualTo(1);
        assertThat(gone.completed()).isZero();
        assertThat(gone.inFlight()).isZero();
    }

    @Test
    void aStreamTheClientHungUpOnIsLoggedAsDisconnected() {
        h = new Harness(simulator(), YAML, Map.of("ADMIN", ADMIN_TOKEN));
        Flux<String> stream = h.http.headers(headers -> headers.set("content-type", "application/json"))
                .post()
                .uri("/v1/chat/completions")
                .send(ByteBufFlux.fromString(Mono.just(Harness.chat("paced", true))))
                .response((response, content) -> content.asString());
        StepVerifier.create(stream, 1).expectNextCount(1).thenCancel().verify(WAIT);
        h.simulator.awaitStats("paced", stats -> stats.disconnects() == 1).block(WAIT);

        Harness.await("the stream's log line", () -> !Harness.lines(h.logText()).isEmpty());
        h.close();
        String log = h.logText();
        h = null;

        assertThat(Harness.lines(log)).singleElement()
                .satisfies(line -> assertThat(line.path("client").asText()).as(log).isEqualTo("disconnected"));
    }

    @Test
    void aClientThatHangsUpBeforeTheAnswerCancelsTheProviderCall() {
        h = new Harness(simulator().model("slow", Behaviour.answer("too late").latency(Duration.ofSeconds(30))),
                YAML, Map.of("ADMIN", ADMIN_TOKEN));

        Disposable call = chatAsync(h.http, "slow", false).subscribe();
        h.simulator.awaitStats("slow", stats -> stats.inFlight() == 1).block(WAIT);
        call.dispose();

        ModelStats gone = h.simulator.awaitStats("slow", stats -> stats.disconnects() == 1).block(WAIT);
        assertThat(gone.completed()).isZero();
        assertThat(gone.inFlight()).isZero();
        Harness.await("the request log notes the disconnect", () -> Harness.lines(h.logText()).stream()
                .anyMatch(line -> "slow".equals(line.path("route").asText())
                        && "disconnected".equals(line.path("client").asText())), () -> "; the log:\n" + h.logText());
    }

    // ---------------------------------------------------------------- (c) reload from file

    /** Replaces {@code file} in one step, as editors save, so the watcher never sees it half written. */
    private void replace(Path file, String text) throws IOException {
        Path next = Files.writeString(Files.createTempFile(dir, "next", ".yaml"), text);
        Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private List<String> models(DetourServer server) {
        String body = HttpClient.create().baseUrl(server.baseUrl()).get().uri("/v1/models")
                .responseSingle((response, content) -> content.asString()).block(WAIT);
        List<String> ids = new ArrayList<>();
        Json.object(body, "models").path("data").forEach(model -> ids.add(model.path("id").asText()));
        return ids;
    }

    private String fileYaml(SimulatedProvider simulator, boolean withExpress) {
        String yaml = """
                server: { port: 0, shutdown-grace: 5s }
                admin: { token-env: ADMIN }
                providers:
                  fast: { type: openai, base-url: "${simulator}/v1", model: fast }
                routes:
                  - { alias: chat, tiers: [ { providers: [fast], timeout: 5s } ] }
                """.replace("${simulator}", simulator.baseUrl());
        return withExpress ? yaml + "  - { alias: express, tiers: [ { providers: [fast], timeout: 5s } ] }\n" : yaml;
    }

    /** Starts a router from {@code file} as {@code Main} does, with a watcher looking every 20 ms. */
    private DetourServer startFromFile(Path file, List<ConfigException> failures, ByteArrayOutputStream log) {
        ConfigVersions versions = ConfigVersions.load(file);
        DetourServer server = DetourServer.start(versions, Map.of("ADMIN", ADMIN_TOKEN)::get,
                new PrintStream(log, true, StandardCharsets.UTF_8));
        closing.add(server);
        server.reloadFrom(file);
        Disposable watcher = new ConfigWatcher(file, versions, Duration.ofMillis(20), failures::add).start();
        closing.add(watcher::dispose);
        return server;
    }

    @Test
    void aChangedFileIsReloadedAndABrokenOneKeepsTheRunningConfig() throws Exception {
        SimulatedProvider simulator = simulator().start();
        closing.add(simulator);
        Path file = dir.resolve("detour.yaml");
        replace(file, fileYaml(simulator, false));
        List<ConfigException> failures = new CopyOnWriteArrayList<>();
        DetourServer server = startFromFile(file, failures, new ByteArrayOutputStream());
        assertThat(models(server)).containsExactly("chat");
        assertThat(server.versions().current().number()).isEqualTo(1);

        replace(file, fileYaml(simulator, true));
        Harness.await("the new alias is listed", () -> models(server).contains("express"));

        assertThat(models(server)).containsExactly("chat", "express");
        assertThat(server.versions().current().number()).isEqualTo(2);
        assertThat(server.versions().current().source()).isEqualTo("detour.yaml");
        Harness.Response express = chatAsync(HttpClient.create().baseUrl(server.baseUrl()), "express", false).block(WAIT);
        assertThat(express.status()).isEqualTo(200);
        assertThat(express.headers().get("x-detour-provider")).isEqualTo("fast");
        assertThat(failures).isEmpty();

        replace(file, fileYaml(simulator, true) + "  - { alias: broken, deadline: soon, tiers: [ { providers: [fsat] } ] }\n");
        Harness.await("the watcher reports the broken file", () -> !failures.isEmpty());

        assertThat(failures).hasSize(1);
        assertThat(failures.get(0)).hasMessage("""
                detour.yaml: routes[2].deadline: 'soon' is not a duration (use e.g. 250ms, 5s, 2m, 1h)
                detour.yaml: routes[2].tiers[0].providers[0]: no provider 'fsat' (known: fast)""");
        assertThat(server.versions().current().number()).isEqualTo(2);
        assertThat(models(server)).containsExactly("chat", "express");
        Harness.Response still = chatAsync(HttpClient.create().baseUrl(server.baseUrl()), "express", false).block(WAIT);
        assertThat(still.status()).isEqualTo(200);
    }

    @Test
    void theAdminReloadRereadsTheFile() throws Exception {
        SimulatedProvider simulator = simulator().start();
        closing.add(simulator);
        Path file = dir.resolve("detour.yaml");
        replace(file, fileYaml(simulator, false));
        ConfigVersions versions = ConfigVersions.load(file);
        DetourServer server = DetourServer.start(versions, Map.of("ADMIN", ADMIN_TOKEN)::get,
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        closing.add(server);
        server.reloadFrom(file);
        HttpClient admin = HttpClient.create().baseUrl(server.baseUrl())
                .headers(headers -> headers.set("authorization", "Bearer " + ADMIN_TOKEN));

        replace(file, fileYaml(simulator, true));
        Harness.Response reloaded = admin.post().uri("/admin/config/reload")
                .responseSingle((response, content) -> content.asString().defaultIfEmpty("")
                        .map(text -> new Harness.Response(response.status().code(), response.responseHeaders(), text)))
                .block(WAIT);

        assertThat(reloaded.status()).isEqualTo(200);
        assertThat(reloaded.json().path("number").asInt()).isEqualTo(2);
        assertThat(reloaded.json().path("source").asText()).isEqualTo("detour.yaml");
        assertThat(models(server)).containsExactly("chat", "express");

        replace(file, "routes: [ { alias: x } ]\n");
        Harness.Response refused = admin.post().uri("/admin/config/reload")
                .responseSingle((response, content) -> content.asString().defaultIfEmpty("")
                        .map(text -> new Harness.Response(response.status().code(), response.responseHeaders(), text)))
                .block(WAIT);
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.json().path("error").path("message").asText()).startsWith("detour.yaml: ");
        assertThat(versions.current().number()).isEqualTo(2);
        assertThat(models(server)).containsExactly("chat", "express");
    }

    // ---------------------------------------------------------------- (d) request log

    private static final String KEYED_YAML = """
            server: { port: 0, shutdown-grace: 5s }
            client-key-envs: [CLIENT_KEY]
            providers:
              broken: { type: openai, base-url: "${simulator}/v1", model: broken, api-key-env: UPSTREAM_KEY }
              fast:   { type: openai, base-url: "${simulator}/v1", model: fast, api-key-env: UPSTREAM_KEY }
            routes:
              - alias: chat
                deadline: 10s
                tiers:
                  - { providers: [broken], timeout: 5s }
                  - { providers: [fast], timeout: 5s }
            """;

    private Harness keyed() {
        return new Harness(SimulatedProvider.builder()
                .apiKey(UPSTREAM_KEY)
                .model("broken", Behaviour.status(503))
                .model("fast", Behaviour.answer("quick")),
                KEYED_YAML, Map.of("CLIENT_KEY", CLIENT_KEY, "UPSTREAM_KEY", UPSTREAM_KEY));
    }

    private static Map<String, String> keyedHeaders(String requestId) {
        return Map.of("authorization", "Bearer " + CLIENT_KEY, "content-type", "application/json", "x-request-id", requestId);
    }

    private static List<ObjectNode> linesOf(List<ObjectNode> lines, String requestId) {
        return lines.stream().filter(line -> requestId.equals(line.path("request_id").asText())).toList();
    }

    @Test
    void eachRequestGetsOneJsonLogLineWithoutSecrets() {
        h = keyed();

        Harness.Response whole = h.post("/v1/chat/completions", Harness.chat("chat", false), keyedHeaders("req-whole-1"));
        Harness.Response streamed = h.post("/v1/chat/completions", Harness.chat("chat", true), keyedHeaders("req-stream-2"));
        Harness.Response unknown = h.post("/v1/chat/completions", Harness.chat("nope", false), keyedHeaders("req-unknown-3"));
        assertThat(whole.status()).isEqualTo(200);
        assertThat(whole.headers().get("x-detour-provider")).isEqualTo("fast");
        assertThat(streamed.status()).isEqualTo(200);
        assertThat(streamed.body()).contains("[DONE]");
        assertThat(unknown.status()).isEqualTo(404);

        Harness.await("three log lines", () -> Harness.lines(h.logText()).size() >= 3);
        h.close();
        String log = h.logText();
        h = null;
        List<ObjectNode> lines = Harness.lines(log);

        assertThat(lines).hasSize(3);
        List<ObjectNode> wholeLines = linesOf(lines, "req-whole-1");
        assertThat(wholeLines).hasSize(1);
        ObjectNode line = wholeLines.get(0);
        assertThat(line.path("route").asText()).isEqualTo("chat");
        assertThat(line.path("served_by").asText()).isEqualTo("fast");
        assertThat(line.path("attempts").asInt()).isEqualTo(2);
        assertThat(line.path("fallback").asText()).isEqualTo("server_error");
        assertThat(line.path("status").asInt()).isEqualTo(200);
        assertThat(line.path("stream").asBoolean()).isFalse();
        assertThat(line.path("latency_ms").isNumber()).isTrue();
        assertThat(line.path("ts").asText()).isNotBlank();

        List<ObjectNode> streamLines = linesOf(lines, "req-stream-2");
        assertThat(streamLines).hasSize(1);
        assertThat(streamLines.get(0).path("route").asText()).isEqualTo("chat");
        assertThat(streamLines.get(0).path("served_by").asText()).isEqualTo("fast");
        assertThat(streamLines.get(0).path("attempts").asInt()).isEqualTo(2);
        assertThat(streamLines.get(0).path("stream").asBoolean()).isTrue();
        assertThat(streamLines.get(0).path("status").asInt()).isEqualTo(200);

        List<ObjectNode> unknownLines = linesOf(lines, "req-unknown-3");
        assertThat(unknownLines).hasSize(1);
        assertThat(unknownLines.get(0).path("route").asText()).isEqualTo("nope");
        assertThat(unknownLines.get(0).path("status").asInt()).isEqualTo(404);

        assertThat(log).doesNotContain(CLIENT_KEY).doesNotContain(UPSTREAM_KEY)
                .doesNotContainIgnoringCase("bearer").doesNotContainIgnoringCase("authorization");
        for (ObjectNode each : lines) {
            assertThat(each.toString()).doesNotContain("sk-");
            for (JsonNode value : each) {
                assertThat(value.asText()).doesNotContain(CLIENT_KEY);
            }
        }
    }

    @Test
    void aRefusedRequestIsLoggedToo() {
        h = keyed();

        Harness.Response refused = h.post("/v1/chat/completions", Harness.chat("chat", false),
                Map.of("authorization", "Bearer sk-wrong-key-0000", "x-request-id", "req-refused-1"));
        Harness.Response served = h.post("/v1/chat/completions", Harness.chat("chat", false), keyedHeaders("req-served-2"));
        assertThat(refused.status()).isEqualTo(401);
        assertThat(served.status()).isEqualTo(200);

        Harness.await("the served request's log line", () -> !linesOf(Harness.lines(h.logText()), "req-served-2").isEmpty());
        h.close();
        String log = h.logText();
        h = null;

        List<ObjectNode> refusedLines = linesOf(Harness.lines(log), "req-refused-1");
        assertThat(refusedLines).hasSize(1);
        assertThat(refusedLines.get(0).path("status").asInt()).isEqualTo(401);
        assertThat(log).doesNotContain("sk-wrong-key-0000");
    }
}
