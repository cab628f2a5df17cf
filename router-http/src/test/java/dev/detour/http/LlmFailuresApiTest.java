package dev.detour.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.detour.sim.Behaviour;
import dev.detour.sim.Fault;
import dev.detour.sim.SimulatedProvider;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * LLM-aware failures over real sockets: a prompt too long for the small model is served by the route's
 * on-context-window model, or reaches the client as a 400 context_length_exceeded; content-policy
 * refusals pass through with the provider's reason; empty answers fall back; timeouts move on unless
 * the retry lists them; streams wait for the first token only as long as first-token-timeout.
 */
class LlmFailuresApiTest {

    private static final String KEY = "client-key-27182";
    private static final Map<String, String> AUTH = Map.of("authorization", "Bearer " + KEY, "content-type", "application/json");
    private static final String LONG_PROMPT = "please read this whole rather long document and then summarise every part of it";
    private static Harness harness;

    @BeforeAll
    static void start() {
        harness = new Harness(SimulatedProvider.builder()
                .model("small", Behaviour.answer("A small answer.").contextWindow(5))
                .model("small-claude", Behaviour.answer("A small answer.").contextWindow(5))
                .model("large", Behaviour.answer("A large context answer."))
                .model("backup", Behaviour.answer("The backup should not answer."))
                .model("strict", Behaviour.failing(Fault.contentPolicy()))
                .model("strict-claude", Behaviour.failing(Fault.contentPolicy()))
                .model("empty", Behaviour.answer("unused").fault(Fault.emptyAnswer()))
                .model("empty-allowed", Behaviour.answer("unused").fault(Fault.emptyAnswer()))
                .model("ok", Behaviour.answer("All good here."))
                .model("stuck", Behaviour.stall())
                .model("stuck-once", Behaviour.script(Behaviour.stall(), Behaviour.answer("Second try.")))
                .model("slow-first", Behaviour.answer("Slow but whole.").latency(Duration.ofSeconds(1))),
                """
                server: { port: 0 }
                client-key-envs: [CLIENT_KEY]
                providers:
                  small:         { type: openai, base-url: "${simulator}/v1", model: small }
                  small-claude:  { type: anthropic, base-url: "${simulator}/v1", model: small-claude }
                  large:         { type: openai, base-url: "${simulator}/v1", model: large }
                  backup:        { type: openai, base-url: "${simulator}/v1", model: backup }
                  strict:        { type: openai, base-url: "${simulator}/v1", model: strict }
                  strict-claude: { type: anthropic, base-url: "${simulator}/v1", model: strict-claude }
                  empty:         { type: openai, base-url: "${simulator}/v1", model: empty }
                  empty-allowed: { type: openai, base-url: "${simulator}/v1", model: empty-allowed }
                  ok:            { type: openai, base-url: "${simulator}/v1", model: ok }
                  stuck:         { type: openai, base-url: "${simulator}/v1", model: stuck }
                  stuck-once:    { type: openai, base-url: "${simulator}/v1", model: stuck-once }
                  slow-first:    { type: openai, base-url: "${simulator}/v1", model: slow-first }
                routes:
                  - alias: routed
                    on-context-window: [large]
                    tiers: [ { providers: [small], retry: { attempts: 3, backoff: 10ms } }, { providers: [backup] } ]
                  - alias: routed-claude
                    on-context-window: [large]
                    tiers: [ { providers: [small-claude] }, { providers: [backup] } ]
                  - alias: unrouted
                    tiers: [ { providers: [small] }, { providers: [backup] } ]
                  - alias: unrouted-claude
                    tiers: [ { providers: [small-claude] }, { providers: [backup] } ]
                  - alias: policy
                    tiers: [ { providers: [strict] }, { providers: [backup] } ]
                  - alias: policy-claude
                    tiers: [ { providers: [strict-claude] }, { providers: [backup] } ]
                  - alias: empty
                    tiers: [ { providers: [empty] }, { providers: [ok] } ]
                  - alias: empty-allowed
                    empty-answers: allow
                    tiers: [ { providers: [empty-allowed] }, { providers: [ok] } ]
                  - alias: timeout-moves-on
                    tiers: [ { providers: [stuck], timeout: 300ms, retry: { attempts: 3, backoff: 10ms } }, { providers: [ok] } ]
                  - alias: timeout-retried
                    tiers: [ { providers: [stuck-once], timeout: 300ms, retry: { attempts: 2, backoff: 10ms, retry-on: [timeout] } }, { providers: [ok] } ]
                  - alias: first-token
                    tiers: [ { providers: [slow-first], timeout: 10s, first-token-timeout: 300ms }, { providers: [ok] } ]
                """,
                Map.of("CLIENT_KEY", KEY));
    }

    @AfterAll
    static void stop() {
        assertThat(harness.simulator.stats("backup").requests()).as("no test's request reaches the backup").isZero();
        harness.close();
    }

    private static Harness.Response chat(String model, String prompt, boolean stream) {
        return harness.post("/v1/chat/completions", "{\"model\":\"" + model + "\",\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}", AUTH);
    }

    private static String content(Harness.Response response) {
        return response.json().path("choices").path(0).path("message").path("content").asText();
    }

    @Test
    void aPromptTooLongForTheSmallModelIsServedByTheOnContextWindowModelWithoutRetry() {
        long before = harness.simulator.stats("small").requests();
        Harness.Response response = chat("routed", LONG_PROMPT, false);

        assertThat(response.status()).isEqualTo(200);
        assertThat(content(response)).isEqualTo("A large context answer.");
        assertThat(response.headers().get("x-detour-provider")).isEqualTo("large");
        assertThat(response.headers().get("x-detour-attempts")).isEqualTo("2");
        assertThat(response.headers().get("x-detour-fallback")).isEqualTo("context_window");
        assertThat(harness.simulator.stats("small").requests() - before).as("one call: never retried, though its retry allows 3")
                .isEqualTo(1);
    }

    @Test
    void aShortPromptStaysOnTheSmallModel() {
        Harness.Response response = chat("routed-claude", "hi there", false);

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.headers().get("x-detour-provider")).isEqualTo("small-claude");
        assertThat(response.headers().get("x-detour-fallback")).isNull();
    }

    @Test
    void aStreamWhosePromptIsTooLongIsServedByTheOnContextWindowModelInvisibly() {
        Harness.Response response = chat("routed-claude", LONG_PROMPT, true);

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.headers().get("content-type")).startsWith("text/event-stream");
        assertThat(response.headers().get("x-detour-provider")).isEqualTo("large");
        assertThat(response.headers().get("x-detour-fallback")).isEqualTo("context_window");
        assertThat(response.body()).contains("\"content\":\"A\"").contains("context").endsWith("data: [DONE]\n\n")
                .doesNotContain("event: error");
    }

    @Test
    void withoutAnOnContextWindowModelTheClientGets400ContextLengthExceeded() {
        Harness.Response response = chat("unrouted", LONG_PROMPT, false);

        assertThat(response.status()).isEqualTo(400);
        JsonNode error = response.json().path("error");
        assertThat(error.path("code").asText()).isEqualTo("context_length_exceeded");
        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.path("param").asText()).isEqualTo("messages");
        assertThat(error.path("message").asText()).startsWith("This model's maximum context length is 5 tokens.");
    }

    @Test
    void anAnthropicPromptIsTooLongBecomesThe400ContextLengthExceededToo() {
        Harness.Response whole = chat("unrouted-claude", LONG_PROMPT, false);
        Harness.Response streamed = chat("unrouted-claude", LONG_PROMPT, true);

        for (Harness.Response response : new Harness.Response[] {whole, streamed}) {
            assertThat(response.status()).isEqualTo(400);
            JsonNode error = response.json().path("error");
            assertThat(error.path("code").asText()).isEqualTo("context_length_exceeded");
            assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
            assertThat(error.path("message").asText()).startsWith("prompt is too long: ").endsWith(" tokens > 5 maximum");
        }
    }

    @Test
    void aContentPolicyRefusalPassesThroughWithTheProvidersReason() {
        Harness.Response openai = chat("policy", "hi", false);
        assertThat(openai.status()).isEqualTo(400);
        assertThat(openai.json().path("error").path("code").asText()).isEqualTo("content_policy_violation");
        assertThat(openai.json().path("error").path("message").asText())
                .isEqualTo("Your request was rejected as a result of our safety system.");

        Harness.Response claude = chat("policy-claude", "hi", true);
        assertThat(claude.status()).isEqualTo(400);
        assertThat(claude.json().path("error").path("code").asText()).isEqualTo("content_policy_violation");
        assertThat(claude.json().path("error").path("message").asText()).isEqualTo("Output blocked by content filtering policy");
    }

    @Test
    void anEmptyAnswerFallsBackUnlessTheRouteAllowsIt() {
        Harness.Response fellBack = chat("empty", "hi", false);
        assertThat(fellBack.status()).isEqualTo(200);
        assertThat(content(fellBack)).isEqualTo("All good here.");
        assertThat(fellBack.headers().get("x-detour-fallback")).isEqualTo("empty");

        Harness.Response allowed = chat("empty-allowed", "hi", false);
        assertThat(allowed.status()).isEqualTo(200);
        assertThat(allowed.headers().get("x-detour-provider")).isEqualTo("empty-allowed");
        assertThat(content(allowed)).isEmpty();
    }

    @Test
    void aTimedOutProviderIsNotRetriedByDefault() {
        Harness.Response response = chat("timeout-moves-on", "hi", false);

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.headers().get("x-detour-provider")).isEqualTo("ok");
        assertThat(response.headers().get("x-detour-attempts")).isEqualTo("2");
        assertThat(response.headers().get("x-detour-fallback")).isEqualTo("timeout");
        assertThat(harness.simulator.stats("stuck").requests()).isEqualTo(1);
    }

    @Test
    void aTimedOutProviderIsRetriedWhenItsRetryListsTimeout() {
        Harness.Response response = chat("timeout-retried", "hi", false);

        assertThat(response.status()).isEqualTo(200);
        assertThat(content(response)).isEqualTo("Second try.");
        assertThat(response.headers().get("x-detour-provider")).isEqualTo("stuck-once");
        assertThat(response.headers().get("x-detour-attempts")).isEqualTo("2");
    }

    @Test
    void aStreamWaitsForItsFirstTokenOnlyTheFirstTokenTimeoutWhileAWholeAnswerGetsTheTimeout() {
        Harness.Response streamed = chat("first-token", "hi", true);
        assertThat(streamed.status()).isEqualTo(200);
        assertThat(streamed.headers().get("x-detour-provider")).isEqualTo("ok");
        assertThat(streamed.headers().get("x-detour-fallback")).isEqualTo("timeout");

        Harness.Response whole = chat("first-token", "hi", false);
        assertThat(whole.status()).isEqualTo(200);
        assertThat(whole.headers().get("x-detour-provider")).isEqualTo("slow-first");
        assertThat(content(whole)).isEqualTo("Slow but whole.");
    }
}
