package dev.detour.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.BadRequestException;
import com.openai.errors.InternalServerException;
import com.openai.errors.NotFoundException;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.detour.sim.Behaviour;
import dev.detour.sim.SimulatedProvider;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The official OpenAI Java SDK meeting the router's errors: a client key over its rate is the SDK's
 * {@link RateLimitException} with {@code retry-after}; a passed-through 400 and a 502 carry who was
 * tried; an unknown model among many names the close ones. The SDK blocks, so calls run on the test thread.
 */
class OpenAiSdkErrorsTest {

    private static final String KEY = "sk-sdk-limited-77d1";

    private Harness h;
    private OpenAIClient client;

    @BeforeEach
    void start() {
        h = new Harness(SimulatedProvider.builder()
                .model("ok", Behaviour.answer("Hello."))
                .model("flaky", Behaviour.status(503))
                .model("picky", Behaviour.status(400)),
                """
                server: { port: 0 }
                client-keys:
                  - { name: sdk-team, key-env: SDK_KEY, requests-per-minute: 3 }
                providers:
                  ok:    { type: openai, base-url: "${simulator}/v1", model: ok }
                  flaky: { type: openai, base-url: "${simulator}/v1", model: flaky }
                  picky: { type: openai, base-url: "${simulator}/v1", model: picky }
                routes:
                  - { alias: gpt-4o, tiers: [ { providers: [ok] } ] }
                  - { alias: gpt-4o-mini, tiers: [ { providers: [ok] } ] }
                  - { alias: o3, tiers: [ { providers: [ok] } ] }
                  - { alias: o4-mini, tiers: [ { providers: [ok] } ] }
                  - { alias: passed-through, tiers: [ { providers: [flaky] }, { providers: [picky] } ] }
                  - { alias: all-down, tiers: [ { providers: [flaky] } ] }
                """,
                Map.of("SDK_KEY", KEY), Harness.stoppedClock());
        client = OpenAIOkHttpClient.builder()
                .baseUrl(h.router.baseUrl() + "/v1")
                .apiKey(KEY)
                .maxRetries(0)
                .timeout(Duration.ofSeconds(15))
                .build();
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (h != null) {
            h.close();
        }
    }

    private static ChatCompletionCreateParams params(String model) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage("Say hello.").build();
    }

    @Test
    void aKeyOverItsRateIsTheSdksRateLimitExceptionWithRetryAfter() {
        for (int i = 0; i < 3; i++) {
            assertThat(client.chat().completions().create(params("gpt-4o")).choices()).hasSize(1);
        }

        RateLimitException failure = catchThrowableOfType(RateLimitException.class,
                () -> client.chat().completions().create(params("gpt-4o")));

        assertThat(failure).isNotNull();
        assertThat(failure.statusCode()).isEqualTo(429);
        assertThat(failure.headers().values("retry-after")).singleElement()
                .as("the seconds until the minute ends").isEqualTo("18");
        assertThat(failure.code()).contains("rate_limit_exceeded");
        assertThat(failure.getMessage()).contains("requests-per-minute limit of 3 reached for this key; retry after 18s")
                .doesNotContain(KEY);
        assertThat(h.simulator.stats("ok").requests()).isEqualTo(3);
        Harness.await("four log lines", () -> Harness.lines(h.logText()).size() == 4);
        assertThat(Harness.lines(h.logText())).allSatisfy(line -> assertThat(line.path("key_name").asText()).isEqualTo("sdk-team"));
        assertThat(h.logText()).doesNotContain(KEY);
    }

    @Test
    void aPassedThroughBadRequestCarriesWhoWasTried() {
        BadRequestException failure = catchThrowableOfType(BadRequestException.class,
                () -> client.chat().completions().create(params("passed-through")));

        assertThat(failure).isNotNull();
        assertThat(failure.headers().values("x-detour-provider")).containsExactly("picky");
        assertThat(failure.headers().values("x-detour-attempts")).containsExactly("2");
        assertThat(failure.headers().values("x-detour-fallback")).containsExactly("server_error");
    }

    @Test
    void everyProviderFailingCarriesWhoWasTried() {
        InternalServerException failure = catchThrowableOfType(InternalServerException.class,
                () -> client.chat().completions().create(params("all-down")));

        assertThat(failure).isNotNull();
        assertThat(failure.statusCode()).isEqualTo(502);
        assertThat(failure.headers().values("x-detour-provider")).containsExactly("flaky");
        assertThat(failure.headers().values("x-detour-attempts")).containsExactly("1");
        assertThat(failure.headers().values("x-detour-fallback")).isEmpty();
    }

    @Test
    void anUnknownModelAmongManyIsTheSdksNotFoundExceptionNamingTheCloseOnes() {
        NotFoundException failure = catchThrowableOfType(NotFoundException.class,
                () -> client.chat().completions().create(params("gpt-4")));

        assertThat(failure).isNotNull();
        assertThat(failure.getMessage()).contains("The model 'gpt-4' does not exist; did you mean 'gpt-4o' or 'gpt-4o-mini'? "
                + "GET /v1/models lists all 6 models");
        assertThat(failure.code()).contains("model_not_found");
    }
}
