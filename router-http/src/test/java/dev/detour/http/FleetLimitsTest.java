package dev.detour.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
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
import reactor.netty.http.client.HttpClient;

/**
 * Two router-http servers on one real redis-server count client keys' limits and routes' fallback spend caps as
 * one: a key's requests-per-minute is spent across both, and a cap reached through A skips the expensive tier on B.
 */
class FleetLimitsTest {

    private static final String KEY = "sk-fleet-team-5b7c";
    private static final String YAML = """
            server: { port: 0, shutdown-grace: 1s }
            state: { store: redis, redis: { url-env: DETOUR_REDIS_URL, timeout: 250ms, key-prefix: "fleet-limits:" } }
            client-keys:
              - { name: team, key-env: TEAM_KEY, requests-per-minute: 3 }
            providers:
              cheap:    { type: openai, base-url: "${simulator}/v1", model: cheap }
              down:     { type: openai, base-url: "${simulator}/v1", model: down }
              frontier: { type: openai, base-url: "${simulator}/v1", model: frontier, cost-per-call: 1 }
            routes:
              - { alias: chat, tiers: [ { providers: [cheap] } ] }
              - alias: capped
                fallback-spend-per-day: 1
                default-answer: Over today's budget for the big model.
                tiers: [ { providers: [down] }, { providers: [frontier] } ]
            """;

    private RedisServer redis;
    private SimulatedProvider sim;
    private final List<DetourServer> servers = new ArrayList<>();
    private final List<OpenAIClient> clients = new ArrayList<>();

    @BeforeEach
    void start() {
        redis = RedisServer.start();
        sim = SimulatedProvider.builder()
                .model("cheap", Behaviour.answer("from cheap"))
                .model("down", Behaviour.status(503))
                .model("frontier", Behaviour.answer("from frontier"))
                .start();
        for (int i = 0; i < 2; i++) {
            DetourServer server = DetourServer.start(
                    new ConfigVersions(ConfigLoader.parse(YAML.replace("${simulator}", sim.baseUrl()), "fleet.yaml"), "fleet.yaml"),
                    Map.of("TEAM_KEY", KEY, "DETOUR_REDIS_URL", redis.url())::get,
                    new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            servers.add(server);
            clients.add(OpenAIOkHttpClient.builder().baseUrl(server.baseUrl() + "/v1").apiKey(KEY)
                    .maxRetries(0).timeout(Duration.ofSeconds(15)).build());
        }
        Harness.await("both instances reach Redis", () -> servers.stream().allMatch(s -> readiness(s).contains("redis available")));
    }

    @AfterEach
    void stop() {
        clients.forEach(OpenAIClient::close);
        servers.forEach(DetourServer::close);
        sim.close();
        redis.close();
    }

    private static String readiness(DetourServer server) {
        return HttpClient.create().baseUrl(server.baseUrl()).get().uri("/readyz")
                .responseSingle((response, content) -> content.asString().defaultIfEmpty(""))
                .block(Duration.ofSeconds(15));
    }

    private String ask(int server, String model) {
        return clients.get(server).chat().completions()
                .create(ChatCompletionCreateParams.builder().model(model).addUserMessage("Say hello.").build())
                .choices().get(0).message().content().orElse("");
    }

    @Test
    void aKeysRequestsPerMinuteAreCountedAcrossTheFleet() {
        for (int attempt = 0; ; attempt++) {
            long minute = System.currentTimeMillis() / 60_000;
            List<Object> outcomes = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                outcomes.add(ask(i % 2, "chat"));
            }
            RateLimitException refused = catchThrowableOfType(RateLimitException.class, () -> ask(1, "chat"));
            if (System.currentTimeMillis() / 60_000 != minute && attempt == 0) {
                continue; // a minute ended mid-sequence: the window restarted, so the count proves nothing; once more
            }
            assertThat(outcomes).containsOnly("from cheap");
            assertThat(refused).as("the fourth request of the minute, the second on B").isNotNull();
            assertThat(refused.getMessage()).contains("requests-per-minute limit of 3 reached").doesNotContain(KEY);
            assertThat(refused.headers().values("retry-after")).singleElement()
                    .satisfies(seconds -> assertThat(Integer.parseInt(seconds)).isBetween(1, 60));
            return;
        }
    }

    @Test
    void aFallbackSpendCapReachedThroughAIsReachedOnB() {
        assertThat(ask(0, "capped")).isEqualTo("from frontier");
        assertThat(sim.stats("frontier").requests()).isEqualTo(1);

        assertThat(ask(1, "capped")).as("B skips the expensive tier and serves its default answer")
                .isEqualTo("Over today's budget for the big model.");
        assertThat(sim.stats("frontier").requests()).isEqualTo(1);
        assertThat(sim.stats("down").requests()).isEqualTo(2);
    }
}
