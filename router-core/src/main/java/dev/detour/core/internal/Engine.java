package dev.detour.core.internal;

import dev.detour.core.Failure;
import dev.detour.core.Outcome;
import dev.detour.core.Route;
import dev.detour.core.RouteEvent;
import dev.detour.core.Router;
import java.time.Duration;
import java.util.Set;
import reactor.core.publisher.Mono;
import reactor.util.context.ContextView;

/**
 * What {@code dev.detour.core} offers Detour's other engine packages (a stream's relay), without making
 * it public API: the router installs its access when its class loads. Internal: not an API.
 */
public final class Engine {

    /** The engine's entry points for a stream's relay. */
    public interface Access {

        /** Runs {@code request} through {@code route}, never calling {@code skip}, within {@code timeLeft} (null: the route's deadline). */
        <I, O> Mono<Outcome<O>> execute(Route<I, O> route, I request, Set<String> skip, Duration timeLeft);

        /** The router whose provider state {@code route} shares. */
        Router router(Route<?, ?> route);

        /** Records a stream that failed after its first element (breaker, statistics, event). */
        void midStreamFailure(Route<?, ?> route, String provider, int relayed, Failure failure, boolean continued,
                              Duration elapsed);

        /** Opens the observation of a stream's request to {@code route} under {@code caller}'s context, or null when none is made. */
        RequestTrace streamTrace(Route<?, ?> route, ContextView caller);

        /** Hands {@code event} to {@code route}'s router's listeners. */
        void publish(Route<?, ?> route, RouteEvent event);
    }

    private static volatile Access access;

    private Engine() {
    }

    /** Installs the router's access; once, from {@link Router}'s class initialisation. */
    public static void install(Access installed) {
        if (access != null) {
            throw new IllegalStateException("the engine's access is installed already");
        }
        access = installed;
    }

    /** The router's access (a route exists, so its router's class has loaded). */
    public static Access access() {
        Access installed = access;
        if (installed == null) {
            try {
                Class.forName(Router.class.getName(), true, Engine.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
            installed = access;
        }
        return installed;
    }
}
