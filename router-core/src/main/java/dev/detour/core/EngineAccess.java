package dev.detour.core;

import dev.detour.core.internal.Engine;
import dev.detour.core.internal.RequestTrace;
import java.time.Duration;
import java.util.Set;
import reactor.core.publisher.Mono;
import reactor.util.context.ContextView;

/** The router's side of {@link Engine.Access}: the package's own entry points, for a stream's relay. */
final class EngineAccess implements Engine.Access {

    @Override
    public <I, O> Mono<Outcome<O>> execute(Route<I, O> route, I request, Set<String> skip, Duration timeLeft) {
        return route.execute(request, skip, timeLeft);
    }

    @Override
    public Router router(Route<?, ?> route) {
        return route.router();
    }

    @Override
    public void midStreamFailure(Route<?, ?> route, String provider, int relayed, Failure failure, boolean continued,
                                 Duration elapsed) {
        route.router().midStreamFailure(route.name(), provider, relayed, failure, continued, elapsed);
    }

    @Override
    public RequestTrace streamTrace(Route<?, ?> route, ContextView caller) {
        return route.router().trace(route.name(), true, caller);
    }

    @Override
    public void publish(Route<?, ?> route, RouteEvent event) {
        route.router().publish(event);
    }
}
