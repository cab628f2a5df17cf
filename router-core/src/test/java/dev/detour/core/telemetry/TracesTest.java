package dev.detour.core.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.core.DeadlineExceededException;
import dev.detour.core.Provider;
import dev.detour.core.ProviderException;
import dev.detour.core.Route;
import dev.detour.core.Router;
import dev.detour.core.Tier;
import dev.detour.core.policy.Budget;
import dev.detour.core.policy.HedgePolicy;
import dev.detour.core.stream.Started;
import dev.detour.core.stream.StreamRoute;
import dev.detour.core.AttemptContext;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatProvider;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.ChatStreams;
import dev.detour.llm.Usage;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import reactor.test.publisher.PublisherProbe;
import reactor.util.context.Context;

/**
 * A router with an observation registry makes one span per request and one per attempt under it, as
 * Micrometer Tracing's OpenTelemetry bridge turns observations into spans (exported in memory).
 */
class TracesTest {

    private static final String[] KEYS = {"detour.attempt.role", "detour.outcome", "detour.failure.kind",
            "detour.fallback.reason", "detour.served_by"};

    private final Spans spans = new Spans();
    private final Router router = Router.builder().hedgeBudget(Budget.unlimited()).observationRegistry(spans.registry).build();

    private static Duration ms(long millis) {
        return Duration.ofMillis(millis);
    }

    @Test
    void aFallbackIsARequestSpanUnderTheCallersWithASpanPerAttemptAndTheTraceContextReachesTheProvider() {
        Map<String, String> headers = new ConcurrentHashMap<>();
        Provider<String, String> a = Provider.of("a", (request, context) -> Mono.error(ProviderException.status(503, "busy")));
        Provider<String, String> b = Provider.of("b", (request, context) -> Mono.deferContextual(reactor -> {
            headers.putAll(reactor.getOrDefault(RouteObservations.PROPAGATED_HEADERS, Map.<String, String>of()));
            return Mono.just("answer");
        }));
        Route<String, String> route = router.<String, String>route("r").tier(Tier.of(a)).tier(Tier.of(b)).build();
        Observation caller = Observation.start("caller", spans.registry);

        StepVerifier.create(route.call("x").contextWrite(Context.of(ObservationThreadLocalAccessor.KEY, caller,
                        RouteObservations.PROPAGATED_HEADERS, Map.of("x-request-id", "42"))))
                .expectNext("answer")
                .verifyComplete();
        caller.stop();

        System.out.println("A fallback:\n" + spans.tree());
        assertThat(spans.tree(KEYS)).isEqualTo("""
                caller
                  detour.request r detour.fallback.reason=server_error detour.outcome=served detour.served_by=b
                    detour.attempt a [ERROR] detour.attempt.role=first detour.failure.kind=server_error detour.fallback.reason=none detour.outcome=failure
                    detour.attempt b detour.attempt.role=fallback detour.failure.kind=none detour.fallback.reason=server_error detour.outcome=success
                """);
        SpanData attempt = spans.named("detour.attempt b");
        assertThat(headers).containsEntry("x-request-id", "42")
                .containsEntry("traceparent", "00-" + attempt.getTraceId() + "-" + attempt.getSpanId() + "-01");
        assertThat(Spans.attribute(attempt, "detour.route")).isEqualTo("r");
        assertThat(Spans.attribute(attempt, "detour.tier")).isEqualTo("1");
        assertThat(Spans.attribute(spans.named("detour.request r"), "error.type")).isEqualTo("none");
        assertThat(Spans.attribute(spans.named("detour.attempt a"), "error.type")).isEqualTo("server_error");
    }

    @Test
    void aHedgeWonByTheSecondAttemptMarksTheLoserCancelled() {
        PublisherProbe<String> slow = PublisherProbe.of(Mono.delay(ms(500)).thenReturn("slow"));
        Provider<String, String> a = Provider.of("a", (request, context) -> slow.mono());
        Provider<String, String> b = Provider.of("b", (request, context) -> Mono.delay(ms(50)).thenReturn("fast"));
        Route<String, String> route = router.<String, String>route("r")
                .tier(Tier.of(a, b).hedge(HedgePolicy.after(ms(100))))
                .build();

        StepVerifier.withVirtualTime(() -> route.call("x"))
                .expectSubscription()
                .thenAwait(ms(150))
                .expectNext("fast")
                .verifyComplete();

        slow.assertWasCancelled();
        assertThat(spans.tree(KEYS)).isEqualTo("""
                detour.request r detour.fallback.reason=none detour.outcome=served detour.served_by=b
                  detour.attempt a detour.attempt.role=first detour.failure.kind=none detour.fallback.reason=none detour.outcome=cancelled
                  detour.attempt b detour.attempt.role=hedge detour.failure.kind=none detour.fallback.reason=none detour.outcome=success
                """);
        assertThat(spans.named("detour.attempt a").getEvents()).extracting(event -> event.getName()).contains("cancelled");
    }

    @Test
    void aStreamContinuedMidAnswerIsOneRequestSpanWithTheContinuationAsAnAttempt() {
        Route<String, Started<String>> route = router.<String, Started<String>>route("chat")
                .tier(Tier.of(Provider.of("a", (request, context) -> Started.of(
                        Flux.concat(Flux.just("Hel", "lo"), Mono.error(ProviderException.status(500, "died")))))))
                .tier(Tier.of(Provider.of("b", (request, context) -> Started.of(Flux.just(" world", "!")))))
                .build();
        StreamRoute<String, String> chat = StreamRoute.of(route).finalWhen(element -> element.endsWith("!"))
                .continueMidStream((request, sofar) -> "continue", (from, to) -> "[" + from + " -> " + to + "]")
                .build();

        StepVerifier.create(chat.stream("hi")).expectNext("Hel", "lo", "[a -> b]", " world", "!").verifyComplete();

        System.out.println("A mid-stream continuation:\n" + spans.tree());
        assertThat(spans.tree(KEYS)).isEqualTo("""
                detour.request chat detour.fallback.reason=none detour.outcome=served detour.served_by=b
                  detour.attempt a [ERROR] detour.attempt.role=first detour.failure.kind=server_error detour.fallback.reason=none detour.outcome=failure
                  detour.attempt b detour.attempt.role=continuation detour.failure.kind=none detour.fallback.reason=none detour.outcome=success
                """);
        SpanData request = spans.named("detour.request chat");
        assertThat(Spans.attribute(request, "detour.stream")).isEqualTo("true");
        assertThat(Spans.attribute(request, "detour.midstream.failed_provider")).isEqualTo("a");
        assertThat(Spans.attribute(request, "detour.attempts")).isEqualTo("2");
        assertThat(request.getEvents()).extracting(event -> event.getName()).containsExactly("midstream.continued");
        assertThat(Spans.attribute(spans.named("detour.attempt a"), "gen_ai.response.time_to_first_chunk")).isNotNull();
    }

    @Test
    void aDeadlineExpiryEndsTheAttemptAsATimeoutAndTheRequestAsAnError() {
        Provider<String, String> a = Provider.of("a", (request, context) -> Mono.delay(ms(500)).thenReturn("late"));
        Route<String, String> route = router.<String, String>route("r").deadline(ms(100)).tier(Tier.of(a)).build();

        StepVerifier.withVirtualTime(() -> route.call("x"))
                .expectSubscription()
                .thenAwait(ms(100))
                .expectError(DeadlineExceededException.class)
                .verify();

        assertThat(spans.tree(KEYS)).isEqualTo("""
                detour.request r [ERROR] detour.fallback.reason=none detour.outcome=deadline_exceeded detour.served_by=none
                  detour.attempt a [ERROR] detour.attempt.role=first detour.failure.kind=timeout detour.fallback.reason=none detour.outcome=failure
                """);
        assertThat(Spans.attribute(spans.named("detour.request r"), "error.type")).isEqualTo("deadline_exceeded");
    }

    @Test
    void onParallelThreadsTheObservationsBlockNothing() {
        Provider<String, String> a = Provider.of("a", (request, context) -> Mono.delay(ms(5), Schedulers.parallel())
                .then(Mono.error(ProviderException.status(503, "busy"))));
        Provider<String, String> b = Provider.of("b", (request, context) -> Mono.delay(ms(5), Schedulers.parallel())
                .thenReturn("b"));
        Route<String, String> route = router.<String, String>route("r").tier(Tier.of(a, b)).build();

        StepVerifier.create(Flux.range(0, 20).flatMap(i -> route.call("x").subscribeOn(Schedulers.parallel())).count())
                .expectNext(20L)
                .verifyComplete();
        assertThat(spans.spans()).hasSize(60);
    }

    @Test
    void withoutARegistryOrWithTheNoopOneNothingIsObserved() {
        Router plain = Router.builder().observationRegistry(ObservationRegistry.NOOP).build();
        Route<String, String> route = plain.<String, String>route("r")
                .tier(Tier.of(Provider.of("a", (request, context) -> Mono.deferContextual(reactor -> Mono.just(
                        String.valueOf(reactor.getOrDefault(RouteObservations.PROPAGATED_HEADERS, Map.of())))))))
                .build();

        StepVerifier.create(route.call("x")).expectNext("{}").verifyComplete();
        assertThat(spans.spans()).isEmpty();
    }

    @Test
    void aStreamedLlmAttemptCarriesTheGenAiAttributesAndTheTimeToItsFirstChunk() {
        ChatProvider llm = new ChatProvider() {
            @Override
            public String name() {
                return "llm";
            }

            @Override
            public Mono<ChatResponse> call(ChatRequest request, AttemptContext context) {
                return Mono.error(new UnsupportedOperationException());
            }

            @Override
            public Flux<ChatChunk> stream(ChatRequest request, AttemptContext context) {
                return Flux.just(ChatChunk.of("c1", "model-2026", "Hello", null, null),
                        ChatChunk.of("c1", "model-2026", " world", "stop", null),
                        ChatChunk.of("c1", "model-2026", null, null, new Usage(12, 2)));
            }
        };
        Route<ChatRequest, Started<ChatChunk>> route = router.<ChatRequest, Started<ChatChunk>>route("chat")
                .tier(Tier.of(ChatStreams.streaming(llm)))
                .build();
        StreamRoute<ChatRequest, ChatChunk> chat = ChatStreams.failing(route).build();

        StepVerifier.create(chat.stream(ChatRequest.user("alias", "hi"))).thenConsumeWhile(chunk -> true).verifyComplete();

        SpanData attempt = spans.named("chat alias");
        System.out.println("A streamed LLM attempt:\n" + spans.tree());
        assertThat(Spans.attribute(attempt, "gen_ai.operation.name")).isEqualTo("chat");
        assertThat(Spans.attribute(attempt, "gen_ai.provider.name")).isEqualTo("openai");
        assertThat(Spans.attribute(attempt, "gen_ai.request.model")).isEqualTo("alias");
        assertThat(Spans.attribute(attempt, "detour.provider")).isEqualTo("llm");
        assertThat(Spans.attribute(attempt, "gen_ai.response.model")).isEqualTo("model-2026");
        assertThat(Spans.attribute(attempt, "gen_ai.response.finish_reasons")).isEqualTo("stop");
        assertThat(Spans.attribute(attempt, "gen_ai.usage.input_tokens")).isEqualTo("12");
        assertThat(Spans.attribute(attempt, "gen_ai.usage.output_tokens")).isEqualTo("2");
        assertThat(Spans.attribute(attempt, "gen_ai.response.time_to_first_chunk")).isNotNull();
        assertThat(Spans.attribute(attempt, "error.type")).isEqualTo("none");
        assertThat(spans.tree()).doesNotContain("Hello").doesNotContain("world");
    }

    @Test
    void eachDegradedStepTriedIsASpanUnderTheRequestAndTheHandOffRunsInIts() {
        Map<String, String> handOffHeaders = new ConcurrentHashMap<>();
        Provider<String, String> a = Provider.of("a", (request, context) -> Mono.error(ProviderException.status(503, "busy")));
        Route<String, String> route = router.<String, String>route("r").tier(Tier.of(a))
                .lastKnownGood(request -> request, ms(60_000))
                .handOff((request, trail, context) -> Mono.deferContextual(reactor -> {
                    Observation current = reactor.getOrDefault(ObservationThreadLocalAccessor.KEY, null);
                    handOffHeaders.put("current", current == null ? "none" : current.getContext().getContextualName());
                    return Mono.just("a person's answer");
                }))
                .defaultAnswer("fixed")
                .build();

        StepVerifier.create(route.call("x")).expectNext("a person's answer").verifyComplete();

        System.out.println("Degraded steps:\n" + spans.tree());
        assertThat(spans.tree("detour.outcome", "detour.step", "detour.served_by")).isEqualTo("""
                detour.request r detour.outcome=degraded detour.served_by=hand-off
                  detour.attempt a [ERROR] detour.outcome=failure
                  detour.degraded last-known-good detour.outcome=passed detour.step=last-known-good
                  detour.degraded hand-off detour.outcome=served detour.step=hand-off
                """);
        assertThat(handOffHeaders).containsEntry("current", "detour.degraded hand-off");
        SpanData request = spans.named("detour.request r");
        assertThat(spans.named("detour.degraded hand-off").getEndEpochNanos()).isLessThanOrEqualTo(request.getEndEpochNanos());
    }

    @Test
    void aDefaultAnswerIsASpanServedAtOnceAndItsMeterDoesNotClashWithRouteMetrics() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        spans.registry.observationConfig().observationHandler(new DefaultMeterObservationHandler(meters));
        Router metered = Router.builder().listener(new RouteMetrics(meters)).observationRegistry(spans.registry).build();
        Provider<String, String> a = Provider.of("a", (request, context) -> Mono.error(ProviderException.status(503, "busy")));
        Route<String, String> route = metered.<String, String>route("r").tier(Tier.of(a)).defaultAnswer("fixed").build();

        StepVerifier.create(route.call("x")).expectNext("fixed").verifyComplete();

        assertThat(meters.find("detour.degraded").counter()).isNotNull();
        assertThat(meters.find(RouteObservations.DEGRADED).tag(RouteObservations.STEP, "default").timer()).isNotNull();

        assertThat(spans.tree("detour.outcome", "detour.served_by")).isEqualTo("""
                detour.request r detour.outcome=degraded detour.served_by=default
                  detour.attempt a [ERROR] detour.outcome=failure
                  detour.degraded default detour.outcome=served
                """);
    }

    @Test
    void anOpenedStreamCancelledUnreadEndsItsAttemptAndRequestSpans() {
        PublisherProbe<String> upstream = PublisherProbe.of(Flux.just("Hel", "lo").concatWith(Flux.never()));
        Route<String, Started<String>> route = router.<String, Started<String>>route("chat")
                .tier(Tier.of(Provider.of("a", (request, context) -> Started.of(upstream.flux()))))
                .build();
        StreamRoute<String, String> chat = StreamRoute.of(route).build();

        StreamRoute.Opened<String> opened = chat.open("hi").block(Duration.ofSeconds(5));
        assertThat(spans.spans()).isEmpty();
        opened.cancel();

        upstream.assertWasCancelled();
        assertThat(spans.tree(KEYS)).isEqualTo("""
                detour.request chat detour.fallback.reason=none detour.outcome=cancelled detour.served_by=a
                  detour.attempt a detour.attempt.role=first detour.failure.kind=none detour.fallback.reason=none detour.outcome=discarded
                """);
    }

    @Test
    void anOpenedStreamReadToTheEndIsNotEndedAgainWhenItsUpstreamIsCancelled() {
        Route<String, Started<String>> route = router.<String, Started<String>>route("chat")
                .tier(Tier.of(Provider.of("a", (request, context) -> Started.of(Flux.just("Hel", "lo")))))
                .build();
        StreamRoute.Opened<String> opened = StreamRoute.of(route).build().open("hi").block(Duration.ofSeconds(5));

        StepVerifier.create(opened.elements()).expectNext("Hel", "lo").verifyComplete();
        opened.cancel();

        assertThat(spans.tree(KEYS)).isEqualTo("""
                detour.request chat detour.fallback.reason=none detour.outcome=served detour.served_by=a
                  detour.attempt a detour.attempt.role=first detour.failure.kind=none detour.fallback.reason=none detour.outcome=success
                """);
    }
}
