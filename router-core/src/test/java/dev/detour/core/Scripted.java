package dev.detour.core;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * A provider that plays a script: the n-th call gets the n-th step, the last step repeats. Records
 * when each call started (in the time of {@link Schedulers#parallel()}, virtual in virtual-time tests)
 * and the context it got.
 */
final class Scripted implements Provider<String, String> {

    private final String name;
    private final List<Mono<String>> steps;
    final List<Long> startedAtMillis = new CopyOnWriteArrayList<>();
    final List<AttemptContext> contexts = new CopyOnWriteArrayList<>();

    private Scripted(String name, List<Mono<String>> steps) {
        this.name = name;
        this.steps = steps;
    }

    @SafeVarargs
    static Scripted of(String name, Mono<String>... steps) {
        return new Scripted(name, List.of(steps));
    }

    static Mono<String> failAfter(long millis, int status) {
        return Mono.defer(() -> Mono.delay(java.time.Duration.ofMillis(millis)).then(status(status)));
    }

    static Mono<String> status(int status) {
        return Mono.error(ProviderException.status(status, "scripted " + status));
    }

    static Mono<String> answerAfter(long millis, String answer) {
        return Mono.defer(() -> Mono.delay(java.time.Duration.ofMillis(millis)).thenReturn(answer));
    }

    int calls() {
        return startedAtMillis.size();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Mono<String> call(String request, AttemptContext context) {
        int index = Math.min(startedAtMillis.size(), steps.size() - 1);
        startedAtMillis.add(Schedulers.parallel().now(TimeUnit.MILLISECONDS));
        contexts.add(context);
        return steps.get(index);
    }
}
