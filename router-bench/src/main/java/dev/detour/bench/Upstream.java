package dev.detour.bench;

import dev.detour.sim.Behaviour;
import dev.detour.sim.SimulatedProvider;
import java.time.Duration;

/**
 * The upstream at the end of every side-by-side series: a simulator serving model {@code bench},
 * which answers at once (no scripted latency) and streams its 17 word tokens 1 ms apart. Run as its
 * own process ({@code java -cp router-bench.jar dev.detour.bench.Upstream --port N}) so that neither
 * the router nor the generator shares its JVM.
 */
public final class Upstream {

    /** The text model {@code bench} answers. */
    static final String BENCH_ANSWER = "The next town is twelve kilometres away, over the hill and past the old mill by the river.";
    /** The answer of model {@code bench}. */
    static final Behaviour BENCH = Behaviour.answer(BENCH_ANSWER).pacing(Duration.ofMillis(1));

    private Upstream() {
    }

    /** The simulator serving {@link #BENCH} as model {@code bench}, seeded with {@code seed}. */
    static SimulatedProvider.Builder simulator(long seed) {
        return SimulatedProvider.builder().seed(seed).model("bench", BENCH);
    }

    /** {@code [--port N] [--seed N]}: serves on 127.0.0.1 until stopped. */
    public static void main(String[] args) {
        int port = 0;
        long seed = 42;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                case "--seed" -> seed = Long.parseLong(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; usage: Upstream [--port N] [--seed N]");
            }
        }
        SimulatedProvider sim = simulator(seed).host("127.0.0.1").port(port).start();
        Runtime.getRuntime().addShutdownHook(new Thread(sim::close, "upstream-shutdown"));
        System.out.println(sim.baseUrl());
        sim.onClose().block();
    }
}
