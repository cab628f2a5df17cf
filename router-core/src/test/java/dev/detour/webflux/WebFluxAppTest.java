package dev.detour.webflux;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.detour.core.Provider;
import dev.detour.core.ProviderException;
import dev.detour.core.Route;
import dev.detour.core.Router;
import dev.detour.llm.HttpSettings;
import dev.detour.sim.Behaviour;
import dev.detour.sim.Fault;
import dev.detour.sim.ModelStats;
import dev.detour.sim.SimulatedProvider;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * {@link ChatApplication} on a real port, its providers pointed at the simulator over real sockets,
 * called through {@link WebTestClient}: what a caller of a WebFlux application sees of Detour.
 */
@SpringBootTest(classes = ChatApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
@Import(WebFluxAppTest.Orders.class)
@DirtiesContext
class WebFluxAppTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String KEY = "sk-sim-webflux-3c91";
    private static final String OPENAI_MODEL = "gpt-4o-mini";
    private static final String ANTHROPIC_MODEL = "claude-haiku-4-5";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SimulatedProvider SIM = SimulatedProvider.builder().apiKey(KEY).start();

    @DynamicPropertySource
    static void providersAtTheSimulator(DynamicPropertyRegistry properties) {
        providersAt(SIM, KEY, properties);
    }

    /** The application's providers pointed at {@code sim}, which takes {@code key}. */
    static void providersAt(SimulatedProvider sim, String key, DynamicPropertyRegistry properties) {
        properties.add("llm.openai.url", () -> sim.baseUrl() + "/v1");
        properties.add("llm.openai.key", () -> key);
        properties.add("llm.anthropic.url", () -> sim.baseUrl() + "/v1");
        properties.add("llm.anthropic.key", () -> key);
    }

    @AfterAll
    static void stopSimulator() {
        SIM.close();
    }

    /** A route the tests add to the application: a provider and a hand-off that read the caller's tenant. */
    @TestConfiguration
    static class Orders {

        @Bean
        Route<String, String> orders(Router router) {
            Provider<String, String> ledger = Provider.of("ledger", (id, attempt) -> Mono.deferContextual(context ->
                    id.startsWith("lost")
                            ? Mono.error(ProviderException.status(503, "ledger unavailable"))
                            : Mono.just("order " + id + " of tenant " + context.getOrDefault(TenantFilter.TENANT, "none")
                                    + ", provider headers " + context.getOrDefault(HttpSettings.PROPAGATED_HEADERS, Map.of()))));
            return router.<String, String>route("orders")
                    .tier(ledger)
                    .handOff((id, trail, context) -> Mono.just("order " + id + " handed to the desk of tenant "
                            + context.getOrDefault(TenantFilter.TENANT, "none") + " after " + trail))
                    .build();
        }

        @Bean
        RouterFunction<ServerResponse> ordersEndpoint(Route<String, String> orders) {
            return RouterFunctions.route(RequestPredicates.GET("/orders/{id}"),
                    request -> ServerResponse.ok().body(orders.call(request.pathVariable("id")), String.class));
        }

        /** A handler that blocks its event loop: BlockHound turns it into an error, so a 500. */
        @Bean
        RouterFunction<ServerResponse> blockingEndpoint() {
            return RouterFunctions.route(RequestPredicates.GET("/blocking"), request -> ServerResponse.ok()
                    .body(Mono.fromCallable(() -> {
                        Thread.sleep(1);
                        return "slept";
                    }), String.class));
        }
    }

    @Autowired
    private WebTestClient client;

    @Autowired
    private MeterRegistry meters;

    @BeforeEach
    void providersAnswer() {
        SIM.behaviour(OPENAI_MODEL, Behaviour.answer("Hello from OpenAI."));
        SIM.behaviour(ANTHROPIC_MODEL, Behaviour.answer("Bonjour from Anthropic."));
        client = client.mutate().responseTimeout(WAIT).build();
    }

    private static String request(String question) {
        return "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"" + question + "\"}]}";
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    private WebTestClient.ResponseSpec post(String path, String body) {
        return client.post().uri(path).contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }

    @Test
    void theControllerReturnsTheRoutesAnswer() {
        String body = post("/chat", request("hi")).expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_JSON)
                .expectBody(String.class).returnResult().getResponseBody();

        assertThat(json(body).at("/choices/0/message/content").asText()).isEqualTo("Hello from OpenAI.");
    }

    @Test
    void aFallbackIsVisibleToTheCaller() {
        SIM.behaviour(OPENAI_MODEL, Behaviour.status(503));

        String body = post("/chat/outcome", request("hi")).expectStatus().isOk()
                .expectHeader().valueEquals("X-Detour-Provider", "anthropic")
                .expectHeader().valueEquals("X-Detour-Attempts", "[openai#1 503, anthropic#1 ok]")
                .expectBody(String.class).returnResult().getResponseBody();

        assertThat(json(body).at("/choices/0/message/content").asText()).isEqualTo("Bonjour from Anthropic.");
        String plain = post("/chat", request("hi")).expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();
        assertThat(json(plain).at("/choices/0/message/content").asText()).isEqualTo("Bonjour from Anthropic.");
    }

    @Test
    void theDeadlineIsA504NamingEveryAttempt() {
        SIM.behaviour(OPENAI_MODEL, Behaviour.answer("late").latency(Duration.ofSeconds(30)));
        SIM.behaviour(ANTHROPIC_MODEL, Behaviour.answer("later").latency(Duration.ofSeconds(30)));

        String body = post("/chat", request("hi")).expectStatus().isEqualTo(HttpStatus.GATEWAY_TIMEOUT)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody(String.class).returnResult().getResponseBody();

        assertThat(json(body).path("status").asInt()).isEqualTo(504);
        assertThat(json(body).path("detail").asText())
                .startsWith("route 'chat' deadline 3s exceeded after 2 attempts")
                .contains("openai#1 timeout 1000ms", "anthropic#1");
    }

    @Test
    void aStreamFallsBackBeforeItsFirstTokenInvisibly() {
        SIM.behaviour(OPENAI_MODEL, Behaviour.status(503));

        List<ServerSentEvent<String>> events = client.post().uri("/chat/stream")
                .contentType(MediaType.APPLICATION_JSON).accept(MediaType.TEXT_EVENT_STREAM)
                .bodyValue(request("hi")).exchange()
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_EVENT_STREAM)
                .returnResult(new ParameterizedTypeReference<ServerSentEvent<String>>() { })
                .getResponseBody().collectList().block(WAIT);

        assertThat(events).isNotEmpty().allSatisfy(event -> assertThat(event.comment()).isNull());
        assertThat(events.get(events.size() - 1).data()).isEqualTo("[DONE]");
        List<JsonNode> chunks = events.subList(0, events.size() - 1).stream()
                .map(event -> json(event.data())).collect(Collectors.toList());
        assertThat(chunks.stream().map(chunk -> chunk.at("/choices/0/delta/content").asText()).collect(Collectors.joining()))
                .isEqualTo("Bonjour from Anthropic.");
        assertThat(chunks).extracting(chunk -> chunk.path("id").asText()).containsOnly(chunks.get(0).path("id").asText());
    }

    @Test
    void aStreamNobodyCanContinueEndsInAnErrorEventNotACleanEnd() {
        SIM.behaviour(OPENAI_MODEL, Behaviour.answer("one two three four five six").fault(Fault.cutAfter(3)));
        SIM.behaviour(ANTHROPIC_MODEL, Behaviour.status(503));

        List<ServerSentEvent<String>> events = client.post().uri("/chat/stream")
                .contentType(MediaType.APPLICATION_JSON).accept(MediaType.TEXT_EVENT_STREAM)
                .bodyValue(request("count")).exchange()
                .expectStatus().isOk()
                .returnResult(new ParameterizedTypeReference<ServerSentEvent<String>>() { })
                .getResponseBody().collectList().block(WAIT);

        ServerSentEvent<String> last = events.get(events.size() - 1);
        assertThat(last.event()).isEqualTo("error");
        assertThat(last.data()).contains("openai");
        assertThat(events).noneMatch(event -> "[DONE]".equals(event.data()));
        assertThat(events.subList(0, events.size() - 1)).isNotEmpty()
                .allSatisfy(event -> assertThat(event.event()).isNull());
    }

    @Test
    void aClientThatHangsUpCancelsTheProviderCall() {
        SIM.behaviour(OPENAI_MODEL, Behaviour.answer("word ".repeat(500)).pacing(Duration.ofMillis(20)));
        ModelStats before = SIM.awaitStats(OPENAI_MODEL, stats -> stats.inFlight() == 0).block(WAIT);

        Flux<String> tokens = client.post().uri("/chat/stream")
                .contentType(MediaType.APPLICATION_JSON).accept(MediaType.TEXT_EVENT_STREAM)
                .bodyValue(request("go on")).exchange()
                .expectStatus().isOk()
                .returnResult(String.class).getResponseBody();
        StepVerifier.create(tokens).expectNextCount(3).thenCancel().verify(WAIT);

        ModelStats after = SIM.awaitStats(OPENAI_MODEL, stats -> stats.disconnects() > before.disconnects()).block(WAIT);
        assertThat(after.disconnects()).isEqualTo(before.disconnects() + 1);
        assertThat(after.completed()).isEqualTo(before.completed());
        assertThat(after.inFlight()).isZero();
    }

    @Test
    void theTenantSetByAWebFilterReachesTheProviderAndTheHandOff() {
        String served = client.get().uri("/orders/42").header("X-Tenant", "acme").exchange()
                .expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();
        assertThat(served).isEqualTo("order 42 of tenant acme, provider headers {x-tenant=acme}");

        String handedOff = client.get().uri("/orders/lost-7").header("X-Tenant", "acme").exchange()
                .expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();
        assertThat(handedOff).isEqualTo("order lost-7 handed to the desk of tenant acme after [ledger#1 503]");

        String anonymous = client.get().uri("/orders/43").exchange()
                .expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();
        assertThat(anonymous).isEqualTo("order 43 of tenant none, provider headers {}");
    }

    @Test
    void blockHoundWatchesTheApplicationsEventLoops() {
        client.get().uri("/blocking").exchange()
                .expectStatus().isEqualTo(HttpStatus.INTERNAL_SERVER_ERROR).expectBody().returnResult();
    }

    @Test
    void theApplicationsRegistryReceivesDetoursMeters() {
        SIM.behaviour(OPENAI_MODEL, Behaviour.status(503));
        double fallbacks = count("detour.fallbacks", "route", "chat", "from", "openai", "to", "anthropic");
        double served = count("detour.requests", "route", "chat", "ending", "served");
        double failedCalls = count("detour.calls", "route", "chat", "provider", "openai", "result", "server_error");

        post("/chat", request("hi")).expectStatus().isOk();

        assertThat(count("detour.fallbacks", "route", "chat", "from", "openai", "to", "anthropic")).isEqualTo(fallbacks + 1);
        assertThat(count("detour.requests", "route", "chat", "ending", "served")).isEqualTo(served + 1);
        assertThat(count("detour.calls", "route", "chat", "provider", "openai", "result", "server_error"))
                .isEqualTo(failedCalls + 1);
        assertThat(meters.find("detour.attempt.latency").tags("route", "chat", "provider", "anthropic").timer())
                .isNotNull();
        assertThat(meters.find("http.server.requests").tags("uri", "/chat").timer()).isNotNull();
    }

    private double count(String name, String... tags) {
        Counter counter = meters.find(name).tags(tags).counter();
        return counter == null ? 0 : counter.count();
    }
}
