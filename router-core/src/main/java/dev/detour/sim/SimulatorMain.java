package dev.detour.sim;

import java.time.Duration;

/**
 * Runs a {@link SimulatedProvider} with a small demo set of models until the process is stopped:
 * {@code java dev.detour.sim.SimulatorMain [--port 9090] [--host 127.0.0.1] [--api-key KEY] [--seed N]}.
 * It prints the base URL on the first line of its output.
 */
public final class SimulatorMain {

    private static final String USAGE = "usage: SimulatorMain [--port N] [--host ADDRESS] [--api-key KEY] [--seed N]";

    private SimulatorMain() {
    }

    /** Starts the demo simulator and waits until it is closed (by a shutdown signal). */
    public static void main(String[] args) {
        SimulatedProvider.Builder builder = demo().port(9090);
        try {
            for (int i = 0; i < args.length; i++) {
                String option = args[i];
                String value = i + 1 < args.length ? args[++i] : null;
                if (value == null) {
                    throw new IllegalArgumentException(option + " needs a value");
                }
                switch (option) {
                    case "--port" -> builder.port(Integer.parseInt(value));
                    case "--host" -> builder.host(value);
                    case "--api-key" -> builder.apiKey(value);
                    case "--seed" -> builder.seed(Long.parseLong(value));
                    default -> throw new IllegalArgumentException("unknown option " + option);
                }
            }
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        SimulatedProvider sim = builder.start();
        Runtime.getRuntime().addShutdownHook(new Thread(sim::close, "simulator-shutdown"));
        System.out.println(sim.baseUrl());
        System.out.println("models: fast, slow, flaky, rate-limited, overloaded, dies-mid-stream (others get the default)");
        sim.onClose().block();
    }

    /**
     * The demo models, on an ephemeral port unless set:
     * <ul>
     *   <li>{@code fast}: answers after 5 ms, tokens 2 ms apart;</li>
     *   <li>{@code slow}: log-normal latency around 800 ms, tokens 30 ms apart;</li>
     *   <li>{@code flaky}: around 50 ms, but 30 % of requests get a 503;</li>
     *   <li>{@code rate-limited}: always 429 with {@code retry-after: 2};</li>
     *   <li>{@code dies-mid-stream}: streams 5 tokens of a longer answer, then closes the connection;</li>
     *   <li>any other model: answers after 20 ms, tokens 5 ms apart.</li>
     * </ul>
     */
    public static SimulatedProvider.Builder demo() {
        return SimulatedProvider.builder()
                .model("fast", Behaviour.defaults().latency(Duration.ofMillis(5)).pacing(Duration.ofMillis(2)))
                .model("slow", Behaviour.answer("A slow and thoughtful answer, one word at a time.")
                        .latency(Latency.lognormal(Duration.ofMillis(800), 0.4)).pacing(Duration.ofMillis(30)))
                .model("flaky", Behaviour.answer("Sometimes this works.")
                        .latency(Latency.lognormal(Duration.ofMillis(50), 0.3))
                        .fault(Fault.status(503).probability(0.3)))
                .model("rate-limited", Behaviour.rateLimited(Duration.ofSeconds(2)))
                .model("overloaded", Behaviour.answer("Claude is overloaded half the time.")
                        .latency(Duration.ofMillis(30)).pacing(Duration.ofMillis(10)).fault(Fault.status(529).probability(0.5)))
                .countTokens()
                .embeddings(16)
                .model("dies-mid-stream", Behaviour.answer("This answer starts well but the connection drops before it ends.")
                        .latency(Duration.ofMillis(20)).pacing(Duration.ofMillis(10)).fault(Fault.cutAfter(5)))
                .defaultBehaviour(Behaviour.defaults().latency(Duration.ofMillis(20)).pacing(Duration.ofMillis(5)));
    }
}
