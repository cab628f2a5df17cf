package dev.detour.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.detour.http.config.ConfigLoader;
import dev.detour.http.config.ConfigVersions;
import dev.detour.sim.Behaviour;
import dev.detour.sim.SimulatedProvider;
import dev.detour.test.RedisServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;

/**
 * Two router-http servers on one real redis-server (with a password) and one simulator: a breaker opened by A's
 * traffic is open on B, an override made on A applies on B, a last-known-good answer A served is B's degraded
 * answer; Redis stopped, A serves from local state and says so in /readyz and its metric; the Redis URL and password
 * appear in no readiness answer, metric, admin answer or log line.
 */
class FleetTest {

    private static final String PASSWORD = "fleet-pw-4d1c7e";
    private static final String ADMIN = "admin-token-fleet";
    private static final String YAML = """
            server: { port: 0, shutdown-grace: 1s }
            admin: { token-env: ADMIN }
            state: { store: redis, redis: { url-env: DETOUR_REDIS_URL, timeout: 250ms, key-prefix: "fleet-test:" } }
            breaker: { window: 4, minimum-calls: 4, open-for: 1m }
            providers:
              first:  { type: openai, base-url: "${simulator}/v1", model: first }
              second: { type: openai, base-url: "${simulator}/v1", model: second }
              third:  { type: openai, base-url: "${simulator}/v1", model: third }
            routes:
              - alias: chat
                deadline: 10s
                tiers:
                  - { providers: [first], timeout: 5s }
                  - { providers: [second], timeout: 5s }
              - alias: cached
                deadline: 10s
                last-known-good: 5m
                tiers:
                  - { providers: [third], timeout: 5s }
            """;

    private RedisServer redis;
    private SimulatedProvider sim;
    private final List<DetourServer> servers = new ArrayList<>();
    private final List<ByteArrayOutputStream> logs = new ArrayList<>();

    @BeforeEach
    void start() {
        redis = RedisServer.start(PASSWORD);
        sim = SimulatedProvider.builder()
                .model("first", Behaviour.status(503))
                .model("second", Behaviour.answer("from second"))
                .model("third", Behaviour.script(Behaviour.answer("kept answer"), Behaviour.status(503)))
                .start();
        for (int i = 0; i < 2; i++) {
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            logs.add(log);
            String config = YAML.replace("${simulator}", sim.baseUrl());
            servers.add(DetourServer.start(new ConfigVersions(ConfigLoader.parse(config, "fleet.yaml"), "fleet.yaml"),
                    Map.of("ADMIN", ADMIN, "DETOUR_REDIS_URL", redis.url())::get,
                    new PrintStream(log, true, StandardCharsets.UTF_8)));
        }
        Harness.await("both instances reach Redis", () -> servers.stream().allMatch(s -> get(s, "/readyz").contains("redis available")),
                () -> " " + get(servers.get(0), "/readyz") + get(servers.get(1), "/readyz"));
    }

    @AfterEach
    void stop() {
        servers.forEach(DetourServer::close);
        sim.close();
        redis.close();
    }

    @Test
    void twoServersOnOneRedisActAsOne() {
        DetourServer a = servers.get(0);
        DetourServer b = servers.get(1);
        assertThat(chat(b, "chat")).contains("from second");
        for (int i = 0; i < 3; i++) {
            assertThat(chat(a, "chat")).contains("from second");
        }
        Harness.await("first's breaker open on B", () -> breaker(b, "first").path("state").asText().equals("open"));
        long before = sim.stats("first").requests();
        assertThat(chat(b, "chat")).contains("from second");
        assertThat(sim.stats("first").requests()).as("B's open breaker called nothing").isEqualTo(before);

        post(a, "/providers/second/disable");
        Harness.await("second disabled on B", () -> provider(b, "second").path("disabled").asBoolean());
        post(b, "/providers/second/enable");
        Harness.await("second enabled on A", () -> !provider(a, "second").path("disabled").asBoolean());

        assertThat(chat(a, "cached")).contains("kept answer");
        String degraded = chat(b, "cached");
        assertThat(degraded).as("A's answer, served by B from Redis").contains("kept answer");
        assertThat(sim.stats("third").requests()).isEqualTo(2);

        assertThat(get(a, "/readyz")).isEqualTo("ready\nstate: redis available\n");
        assertThat(get(a, "/metrics")).contains("detour_state_store_available 1.0");
        String shared = get(a, "/readyz") + get(b, "/metrics") + get(a, "/admin/providers") + get(b, "/admin/config/versions")
                + get(a, "/admin/events");

        redis.stop();
        assertThat(chat(a, "chat")).as("served from local state").contains("from second");
        Harness.await("A says Redis is away", () -> get(a, "/readyz").contains("redis unavailable"));
        assertThat(get(a, "/readyz")).startsWith("ready\n").contains("serving from local state");
        assertThat(get(a, "/metrics")).contains("detour_state_store_available 0.0");
        String everything = shared + get(a, "/readyz") + get(a, "/metrics") + logs.get(0) + logs.get(1);
        assertThat(everything).doesNotContain(PASSWORD).doesNotContain(redis.url());
    }

    private JsonNode provider(DetourServer server, String name) {
        for (JsonNode provider : dev.detour.llm.Json.object(get(server, "/admin/providers"), "providers").path("providers")) {
            if (provider.path("name").asText().equals(name)) {
                return provider;
            }
        }
        return dev.detour.llm.Json.newObject();
    }

    private JsonNode breaker(DetourServer server, String name) {
        return provider(server, name).path("breaker");
    }

    private static String chat(DetourServer server, String model) {
        return request(server, "/v1/chat/completions", Harness.chat(model, false));
    }

    private static void post(DetourServer server, String path) {
        request(server, "/admin" + path, "");
    }

    private static String request(DetourServer server, String path, String body) {
        return HttpClient.create().baseUrl(server.baseUrl())
                .headers(h -> h.set("authorization", "Bearer " + ADMIN).set("content-type", "application/json"))
                .post().uri(path).send(ByteBufFlux.fromString(Mono.just(body)))
                .responseSingle((response, content) -> content.asString().defaultIfEmpty(""))
                .block(Duration.ofSeconds(15));
    }

    private static String get(DetourServer server, String path) {
        return HttpClient.create().baseUrl(server.baseUrl())
                .headers(h -> h.set("authorization", "Bearer " + ADMIN))
                .get().uri(path)
                .responseSingle((response, content) -> content.asString().defaultIfEmpty(""))
                .block(Duration.ofSeconds(15));
    }
}
