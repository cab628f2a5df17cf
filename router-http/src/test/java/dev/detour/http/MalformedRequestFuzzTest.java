package dev.detour.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.sim.Behaviour;
import dev.detour.sim.SimulatedProvider;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Truncated and mutated requests, seeded and bounded (count and time, loopback only): each gets a 2xx or 4xx
 * answer or a closed connection, never a 5xx or a hang (a read that times out fails); the leak detector
 * checks the buffers. Run another seed with {@code -Ddetour.fuzz.seed=…}.
 */
class MalformedRequestFuzzTest {

    private static final int CASES = 240;
    private static final Duration BUDGET = Duration.ofSeconds(40);
    private static final Duration HANG = Duration.ofSeconds(5);

    private static final String YAML = """
            server: { port: 0, header-timeout: 300ms, body-idle-timeout: 300ms, body-timeout: 1s,
                      keep-alive-timeout: 300ms, max-header-bytes: 2048, max-body-bytes: 4096 }
            providers:
              fast: { type: openai, base-url: "${simulator}/v1", model: fast }
            routes:
              - alias: fast
                tiers: [ { providers: [fast] } ]
            """;

    private static final List<String> SEEDS = List.of(
            ClientEdgesTest.chatRequest(),
            ClientEdgesTest.chatRequest().replace("\"stream\":false", "\"stream\":true "),
            ClientEdgesTest.head("POST", "/v1/chat/completions", "Content-Type: application/json", "Transfer-Encoding: chunked")
                    + Integer.toHexString(Harness.chat("fast", false).length()) + "\r\n" + Harness.chat("fast", false) + "\r\n0\r\n\r\n",
            ClientEdgesTest.head("GET", "/v1/models", "Accept: application/json"),
            ClientEdgesTest.head("GET", "/healthz"),
            ClientEdgesTest.head("GET", "/nowhere?x=1"),
            ClientEdgesTest.chatRequest() + ClientEdgesTest.head("GET", "/v1/models"));

    @Test
    void truncatedAndMutatedRequestsGetA2xxOr4xxOrAClosedConnection() throws Exception {
        long seed = Long.getLong("detour.fuzz.seed", 0x5eed_d37_0a11L);
        List<String> kinds = new ArrayList<>();
        List<byte[]> cases = cases(seed, kinds);

        try (Harness h = new Harness(SimulatedProvider.builder().model("fast", Behaviour.answer("quick")), YAML, Map.of())) {
            ExecutorService pool = Executors.newFixedThreadPool(8);
            long deadline = System.nanoTime() + BUDGET.toNanos();
            Map<String, Integer> outcomes = new TreeMap<>();
            try {
                List<Future<String>> results = new ArrayList<>();
                for (byte[] request : cases) {
                    results.add(pool.submit(() -> System.nanoTime() > deadline ? "skipped" : exchange(h.router.port(), request)));
                }
                for (int i = 0; i < results.size(); i++) {
                    String outcome = results.get(i).get(HANG.toSeconds() * 4, TimeUnit.SECONDS);
                    String request = escaped(cases.get(i));
                    assertThat(outcome).as("seed %d case %d (%s): %s", seed, i, kinds.get(i), request)
                            .matches("closed|skipped|[24]\\d\\d");
                    outcomes.merge(outcome.length() == 3 ? outcome.charAt(0) + "xx" : outcome, 1, Integer::sum);
                }
            } finally {
                pool.shutdownNow();
            }
            System.out.printf("EDGE fuzz seed %d: %d cases -> %s%n", seed, CASES, outcomes);
            assertThat(h.post("/v1/chat/completions", Harness.chat("fast", false), Map.of("content-type", "application/json")).status())
                    .isEqualTo(200);
        }
    }

    /** The cases of {@code seed}, with what was done to each in {@code kinds}. */
    static List<byte[]> cases(long seed, List<String> kinds) {
        Random random = new Random(seed);
        List<byte[]> cases = new ArrayList<>();
        for (int i = 0; i < CASES; i++) {
            byte[] base = SEEDS.get(random.nextInt(SEEDS.size())).getBytes(StandardCharsets.ISO_8859_1);
            String kind = switch (random.nextInt(7)) {
                case 0 -> "truncated";
                case 1 -> "bytes flipped";
                case 2 -> "bytes inserted";
                case 3 -> "range deleted";
                case 4 -> "content-length changed";
                case 5 -> "bare LF";
                default -> "header bloated";
            };
            kinds.add(kind);
            cases.add(mutate(base, kind, random));
        }
        return cases;
    }

    /** {@code bytes} with what is not printable ASCII escaped. */
    static String escaped(byte[] bytes) {
        StringBuilder text = new StringBuilder();
        for (byte b : bytes) {
            int c = b & 0xff;
            text.append(c == '\n' ? "\\n" : c == '\r' ? "\\r" : c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\x%02x", c));
        }
        return text.toString();
    }

    /** Sends one case and reads the first answer: its status, or "closed"; a hang fails. */
    private static String exchange(int port, byte[] request) throws IOException {
        try (RawClient client = new RawClient(port, HANG)) {
            try {
                client.send(request);
            } catch (IOException closedWhileSending) {
                // the server refused and closed before taking it all; what it answered is read below
            }
            RawClient.Reply reply;
            try {
                reply = client.read();
            } catch (SocketTimeoutException hang) {
                return "hang";
            } catch (IOException | RuntimeException cut) {
                return "closed";
            }
            return reply == null ? "closed" : Integer.toString(reply.status());
        }
    }

    private static byte[] mutate(byte[] base, String kind, Random random) {
        String text = new String(base, StandardCharsets.ISO_8859_1);
        return switch (kind) {
            case "truncated" -> java.util.Arrays.copyOf(base, random.nextInt(base.length));
            case "bytes flipped" -> {
                byte[] out = base.clone();
                for (int n = 1 + random.nextInt(4); n > 0; n--) {
                    out[random.nextInt(out.length)] = (byte) random.nextInt(256);
                }
                yield out;
            }
            case "bytes inserted" -> {
                int at = random.nextInt(base.length);
                byte[] noise = new byte[1 + random.nextInt(16)];
                random.nextBytes(noise);
                yield (text.substring(0, at) + new String(noise, StandardCharsets.ISO_8859_1) + text.substring(at))
                        .getBytes(StandardCharsets.ISO_8859_1);
            }
            case "range deleted" -> {
                int from = random.nextInt(base.length);
                int to = Math.min(base.length, from + 1 + random.nextInt(20));
                yield (text.substring(0, from) + text.substring(to)).getBytes(StandardCharsets.ISO_8859_1);
            }
            case "content-length changed" -> {
                String[] values = {"0", "-1", "1", "99999999999999999999", "abc", "12, 13", " 7", "0x10",
                        Integer.toString(random.nextInt(400))};
                String value = values[random.nextInt(values.length)];
                yield (text.contains("Content-Length: ") ? text.replaceFirst("Content-Length: \\d+", "Content-Length: " + value)
                        : text.replaceFirst("\r\n", "\r\nContent-Length: " + value + "\r\n")).getBytes(StandardCharsets.ISO_8859_1);
            }
            case "bare LF" -> text.replace("\r\n", "\n").getBytes(StandardCharsets.ISO_8859_1);
            default -> text.replaceFirst("\r\n", "\r\nX-Bloat: " + "b".repeat(1000 + random.nextInt(3000)) + "\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1);
        };
    }
}
