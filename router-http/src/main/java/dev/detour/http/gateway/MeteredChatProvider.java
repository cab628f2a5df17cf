package dev.detour.http.gateway;

import dev.detour.core.AttemptContext;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatProvider;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.ContinuationMode;
import dev.detour.llm.StreamUsage;
import dev.detour.llm.Usage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.ToDoubleFunction;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A chat provider whose streams, each as it ends (completed, failed, or cancelled by its reader or a hedge that
 * won), note in the request's {@link CallTrail} the tokens they used, as reported or else
 * {@linkplain StreamUsage#estimated() estimated}, priced at this provider's prices and charged to the call's tier.
 * A stream that sent nothing used no tokens.
 */
final class MeteredChatProvider implements ChatProvider {

    private final ChatProvider provider;
    private final ToDoubleFunction<Usage> price;

    MeteredChatProvider(ChatProvider provider, ToDoubleFunction<Usage> price) {
        this.provider = provider;
        this.price = price;
    }

    @Override
    public Flux<ChatChunk> stream(ChatRequest request, AttemptContext context) {
        return Flux.deferContextual(view -> {
            CallTrail trail = view.getOrDefault(CallTrail.KEY, null);
            if (trail == null) {
                return provider.stream(request, context);
            }
            StreamUsage usage = new StreamUsage(request);
            AtomicBoolean noted = new AtomicBoolean();
            Runnable ended = () -> {
                if (usage.any() && noted.compareAndSet(false, true)) {
                    Usage used = usage.reportedOrEstimated();
                    trail.streamed(new CallTrail.Streamed(provider.name(), context.tier(), used, price.applyAsDouble(used)));
                }
            };
            return provider.stream(request, context).doOnNext(usage::add)
                    .doOnComplete(ended).doOnError(error -> ended.run()).doOnCancel(ended);
        });
    }

    @Override
    public Mono<ChatResponse> call(ChatRequest request, AttemptContext context) {
        return provider.call(request, context);
    }

    @Override
    public String name() {
        return provider.name();
    }

    @Override
    public ContinuationMode continuation() {
        return provider.continuation();
    }

    @Override
    public String genAiProvider() {
        return provider.genAiProvider();
    }

    @Override
    public String model(ChatRequest request) {
        return provider.model(request);
    }

    @Override
    public String toString() {
        return provider.toString();
    }
}
