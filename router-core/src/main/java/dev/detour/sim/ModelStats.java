package dev.detour.sim;

/**
 * What a {@link SimulatedProvider} saw for one model since it started or was last
 * {@linkplain SimulatedProvider#reset() reset}. Every request whose JSON body names the model counts,
 * rejected ones (401, 400) too; each then ends exactly once, as completed or as a disconnect.
 *
 * @param model       the model name, as the requests gave it
 * @param requests    requests received for the model
 * @param completed   exchanges in which the simulator produced all it meant to send (an answer, an error, a stream up
 *                    to its end or its fault), including connections it closed on purpose
 * @param disconnects exchanges whose connection closed (the client hung up, or the simulator was closed) before the
 *                    simulator produced all it meant to send: stalls, and answers still waiting out their latency
 * @param inFlight    exchanges open now; a gauge, so it also counts exchanges that were open at a reset
 */
public record ModelStats(String model, long requests, long completed, long disconnects, long inFlight) {

    /** Nothing seen yet for {@code model}. */
    public static ModelStats empty(String model) {
        return new ModelStats(model, 0, 0, 0, 0);
    }
}
