package dev.detour.core;

import java.util.List;
import reactor.core.publisher.Mono;
import reactor.util.context.ContextView;

/**
 * The last resort of a route: receives a request every live path failed, with the trail and the
 * caller's Reactor context (user, conversation history …), queues it for a person or a call-back, and
 * answers with what the caller should be told ("accepted for review"). Must not block.
 *
 * @param <I> the request type
 * @param <O> the answer type
 */
@FunctionalInterface
public interface HandOff<I, O> {

    /** Accepts {@code request}; an empty or failed Mono moves on to the route's next degraded step. */
    Mono<O> handOff(I request, List<Attempt> trail, ContextView context);
}
