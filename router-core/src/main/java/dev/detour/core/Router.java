package dev.detour.core;

import dev.detour.core.policy.RetryBudget;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * What the routes of an application share: each provider's state (its retry budget), the listeners
 * that receive every {@link RouteEvent}, and the scheduler that times attempts and backoff. Build one
 * per application and make routes from it with {@link #route(String)}.
 *
 * <pre>{@code
 * Router router = Router.builder().listener(new RouteMetrics(meterRegistry)).build();
 * }</pre>
 */
public final class Router {

    private static final Logger log = Loggers.getLogger(Router.class);

    private final Scheduler scheduler;
    private final RetryBudget retryBudget;
    private final RouteListener[] listeners;
    private final ConcurrentHashMap<String, RetryBudget.Tracker> budgets = new ConcurrentHashMap<>();

    private Router(Builder builder) {
        this.scheduler = builder.scheduler;
        this.retryBudget = builder.retryBudget;
        this.listeners = builder.listeners.toArray(new RouteListener[0]);
    }

    /** A router with the default retry budget, no listeners, and Reactor's parallel scheduler. */
    public static Router create() {
        return builder().build();
    }

    /** A builder of a router. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder of a route named {@code name} on this router. */
    public <I, O> Route.Builder<I, O> route(String name) {
        return new Route.Builder<>(this, name);
    }

    /** The retry budget each provider gets. */
    public RetryBudget retryBudget() {
        return retryBudget;
    }

    Scheduler scheduler() {
        return scheduler != null ? scheduler : Schedulers.parallel();
    }

    RetryBudget.Tracker budget(String provider) {
        RetryBudget.Tracker tracker = budgets.get(provider);
        return tracker != null ? tracker : budgets.computeIfAbsent(provider, name -> retryBudget.tracker());
    }

    boolean listening() {
        return listeners.length > 0;
    }

    void emit(RouteEvent event) {
        for (RouteListener listener : listeners) {
            try {
                listener.onEvent(event);
            } catch (RuntimeException e) {
                log.warn("route listener {} failed on {}", listener, event.getClass().getSimpleName(), e);
            }
        }
    }

    /** Builds a {@link Router}. */
    public static final class Builder {

        private Scheduler scheduler;
        private RetryBudget retryBudget = RetryBudget.defaults();
        private final List<RouteListener> listeners = new ArrayList<>();

        private Builder() {
        }

        /**
         * The scheduler for timeouts and backoff. Unset, each request uses
         * {@link Schedulers#parallel()} as it is at that moment (so virtual time in tests applies).
         */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        /** The retry budget of each provider; {@link RetryBudget#defaults()} unless set. */
        public Builder retryBudget(RetryBudget retryBudget) {
            this.retryBudget = Objects.requireNonNull(retryBudget, "retryBudget");
            return this;
        }

        /** Adds a listener of every route event. */
        public Builder listener(RouteListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /** The router. */
        public Router build() {
            return new Router(this);
        }
    }
}
