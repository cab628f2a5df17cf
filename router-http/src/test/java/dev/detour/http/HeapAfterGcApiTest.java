package dev.detour.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.sim.Behaviour;
import dev.detour.sim.SimulatedProvider;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /admin/jvm/gc} over a real socket: after a full collection it reports the heap still
 * held, old generation included, and only to the admin token. (A class of its own: a full collection
 * between the admin tests' reloads is not what they test.)
 */
class HeapAfterGcApiTest {

    private static final String ADMIN_TOKEN = "admin-token-4d1c";
    private static final String CLIENT_KEY = "sk-client-8e2f";
    private static volatile byte[] retained;

    private Harness h;

    @BeforeEach
    void start() {
        h = new Harness(SimulatedProvider.builder().model("first", Behaviour.answer("from first")), """
                server: { port: 0, shutdown-grace: 1s }
                admin: { token-env: ADMIN }
                client-key-envs: [CLIENT]
                providers:
                  first: { type: openai, base-url: "${simulator}/v1", model: first }
                routes:
                  - alias: chat
                    tiers: [ { providers: [first] } ]
                """, Map.of("ADMIN", ADMIN_TOKEN, "CLIENT", CLIENT_KEY));
    }

    @AfterEach
    void stop() {
        retained = null;
        h.close();
    }

    @Test
    void theHeapAfterAFullCollectionCountsWhatIsStillHeld() {
        retained = new byte[16 << 20];
        Harness.Response holding = h.post("/admin/jvm/gc", "", Map.of("authorization", "Bearer " + ADMIN_TOKEN));
        retained = null;
        Harness.Response released = h.post("/admin/jvm/gc", "", Map.of("authorization", "Bearer " + ADMIN_TOKEN));

        assertThat(holding.status()).isEqualTo(200);
        long heldOld = holding.json().path("old_gen_used_bytes").asLong();
        assertThat(heldOld).isGreaterThanOrEqualTo(16 << 20)
                .isLessThanOrEqualTo(holding.json().path("heap_used_bytes").asLong());
        assertThat(released.json().path("old_gen_used_bytes").asLong()).isLessThan(heldOld - (8 << 20));
    }

    @Test
    void aClientKeyCannotCollect() {
        Harness.Response refused = h.post("/admin/jvm/gc", "", Map.of("authorization", "Bearer " + CLIENT_KEY));

        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.json().path("error").path("message").asText()).isEqualTo("wrong admin token");
    }
}
