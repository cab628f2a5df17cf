package dev.detour.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.llm.Json;
import dev.detour.sim.Behaviour;
import dev.detour.sim.SimulatedProvider;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Slow and malformed clients over plain sockets: each ends with the documented JSON error or a closed
 * connection within the configured time (printed as {@code EDGE …} lines), its in-flight slot is released
 * (a follow-up request succeeds), and each answer has its log line.
 */
class ClientEdgesTest {

    static final Duration LIMIT = Duration.ofMillis(300);
    static final Duration BODY_LIMIT = Duration.ofMillis(1000);
    static final Duration KEEP_ALIVE = Duration.ofMillis(500);
    /** How late after a limit an answer may come on a loaded machine. */
    static final long SLACK_MS = 1500;
    static final Duration READ = Duration.ofSeconds(8);

    static final String YAML = """
            server: { port: 0, max-in-flight: 4, header-timeout: 300ms, body-idle-timeout: 300ms, body-timeout: 1s,
                      keep-alive-timeout: 500ms, max-header-bytes: 2048 }
            providers:
              fast: { type: openai, base-url: "${simulator}/v1", model: fast }
            routes:
              - alias: fast
                tiers: [ { providers: [fast] } ]
            """;

    private Harness h;

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    private Harness start() {
        h = new Harness(SimulatedProvider.builder().model("fast", Behaviour.answer("quick")), YAML, Map.of());
        return h;
    }

    private RawClient raw() throws IOException {
        return new RawClient(h.router.port(), READ);
    }

    static String head(String method, String path, String... headers) {
        StringBuilder text = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (String header : headers) {
            text.append(header).append("\r\n");
        }
        return text.append("\r\n").toString();
    }

    static String chatRequest(String... extra) {
        String body = Harness.chat("fast", false);
        List<String> headers = new ArrayList<>(List.of("Content-Type: application/json", "Content-Length: " + body.length()));
        headers.addAll(List.of(extra));
        return head("POST", "/v1/chat/completions", headers.toArray(String[]::new)) + body;
    }

    static void report(String what, Object outcome, long millis) {
        System.out.printf("EDGE %-40s -> %-8s in %5d ms%n", what, outcome, millis);
    }

    /** A chat request on a fresh connection succeeds: nothing is left holding a slot. */
    private void followUpSucceeds() {
        Harness.Response response = h.post("/v1/chat/completions", Harness.chat("fast", false), Map.of("content-type", "application/json"));
        assertThat(response.status()).isEqualTo(200);
    }

    private ObjectNode awaitLogLine(int status, String code) {
        Harness.await("a log line with status " + status + " and code " + code, () -> findLine(status, code) != null,
                () -> "\n" + h.logText());
        return findLine(status, code);
    }

    private ObjectNode findLine(int status, String code) {
        return Harness.lines(h.logText()).stream()
                .filter(line -> line.path("status").asInt() == status)
                .filter(line -> code == null || h.logText().contains(code) && (code.equals(line.path("code").asText())
                        || line.path("error").asText().length() > 0))
                .findFirst().orElse(null);
    }

    private static void assertWithin(long millis, Duration limit) {
        assertThat(millis).isGreaterThanOrEqualTo(limit.toMillis() - 20).isLessThan(limit.toMillis() + SLACK_MS);
    }

    // ------------------------------------------------------------------ time limits

    @Test
    void partialHeadersGet408AndTheConnectionClosed() throws IOException {
        start();
        try (RawClient client = raw()) {
            client.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty");
            RawClient.Reply reply = client.read();
            long took = RawClient.millisSince(client.lastSentNanos);
            report("partial headers", reply.status(), took);

            assertThat(reply.status()).isEqualTo(408);
            assertThat(reply.isJsonError()).as(reply.body()).isTrue();
            assertThat(Json.object(reply.body(), "error").path("error").path("code").asText()).isEqualTo("header_timeout");
            assertThat(reply.headers().get("connection")).isEqualTo("close");
            assertThat(client.closedByServer()).isTrue();
            assertWithin(took, LIMIT);
        }
        assertThat(awaitLogLine(408, "header_timeout").path("latency_ms").asDouble()).isGreaterThanOrEqualTo(LIMIT.toMillis() - 20);
        followUpSucceeds();
    }

    @Test
    void aConnectionThatSendsNothingIsClosedWithoutAnAnswer() throws IOException {
        start();
        try (RawClient client = raw()) {
            RawClient.Reply reply = client.read();
            long took = RawClient.millisSince(client.lastSentNanos);
            report("connect, send nothing", "closed", took);

            assertThat(reply).isNull();
            assertWithin(took, LIMIT);
        }
        followUpSucceeds();
    }

    @Test
    void fourPartialBodiesNoLongerLockEveryoneOut() throws Exception {
        start();
        // the case: max-in-flight 4, four sockets send Content-Length 100 and 18 bytes, then wait
        String head = head("POST", "/v1/chat/completions", "Content-Type: application/json", "Content-Length: 100");
        List<RawClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                clients.add(raw().send(head + "{\"model\":\"fast\",\"m"));
            }
            for (RawClient client : clients) {
                RawClient.Reply reply = client.read();
                long took = RawClient.millisSince(client.lastSentNanos);
                report("Content-Length 100, 18 bytes sent", reply.status(), took);
                assertThat(reply.status()).isEqualTo(408);
                assertThat(reply.isJsonError()).as(reply.body()).isTrue();
                assertThat(reply.body()).contains("body_idle_timeout");
                assertThat(client.closedByServer()).isTrue();
                assertThat(took).isLessThan(LIMIT.toMillis() + SLACK_MS);
            }
        } finally {
            for (RawClient client : clients) {
                client.close();
            }
        }
        // the slots are free at once: four more requests at the limit are all served
        for (int i = 0; i < 4; i++) {
            followUpSucceeds();
        }
        Harness.await("four 408 log lines", () -> Harness.lines(h.logText()).stream()
                .filter(line -> line.path("status").asInt() == 408).count() == 4, () -> "\n" + h.logText());
    }

    @Test
    void aByteASecondMissesTheBodyIdleLimit() throws Exception {
        start();
        String body = Harness.chat("fast", false);
        ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor();
        try (RawClient client = raw()) {
            client.send(head("POST", "/v1/chat/completions", "Content-Type: application/json",
                    "Content-Length: " + body.length()));
            int[] next = {0};
            pacer.scheduleAtFixedRate(() -> {
                try {
                    client.send(body.substring(next[0], next[0] + 1));
                    next[0]++;
                } catch (IOException closed) {
                    throw new IllegalStateException(closed);
                }
            }, 0, 1, TimeUnit.SECONDS);
            RawClient.Reply reply = client.read();
            long took = RawClient.millisSince(client.lastSentNanos);
            report("a byte a second (body idle)", reply.status(), took);

            assertThat(reply.status()).isEqualTo(408);
            assertThat(reply.body()).contains("body_idle_timeout");
            assertThat(client.closedByServer()).isTrue();
            assertWithin(took, LIMIT);
        } finally {
            pacer.shutdownNow();
        }
        followUpSucceeds();
    }

    @Test
    void aBodyTricklingFasterThanTheIdleLimitStillMissesTheTotalLimit() throws Exception {
        start();
        String body = Harness.chat("fast", false);
        ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor();
        try (RawClient client = raw()) {
            client.send(head("POST", "/v1/chat/completions", "Content-Type: application/json",
                    "Content-Length: " + body.length()));
            long headersSent = client.lastSentNanos;
            int[] next = {0};
            pacer.scheduleAtFixedRate(() -> {
                try {
                    client.send(body.substring(next[0], next[0] + 1));
                    next[0]++;
                } catch (IOException | RuntimeException closed) {
                    throw new IllegalStateException(closed);
                }
            }, 0, 100, TimeUnit.MILLISECONDS);
            RawClient.Reply reply = client.read();
            long took = RawClient.millisSince(headersSent);
            report("a byte per 100 ms (body total 1 s)", reply.status(), took);

            assertThat(reply.status()).isEqualTo(408);
            assertThat(reply.body()).contains("body_timeout");
            assertWithin(took, BODY_LIMIT);
        } finally {
            pacer.shutdownNow();
        }
        followUpSucceeds();
    }

    // ------------------------------------------------------------------ framing

    @Test
    void aContentLengthShorterThanTheBodySent() throws IOException {
        start();
        // says 100, sends 18 and waits: the body-idle limit ends it
        try (RawClient client = raw()) {
            client.send(head("POST", "/v1/chat/completions", "Content-Type: application/json", "Content-Length: 100")
                    + "{\"model\":\"fast\",\"m");
            RawClient.Reply reply = client.read();
            long took = RawClient.millisSince(client.lastSentNanos);
            report("Content-Length claims more than sent", reply.status(), took);
            assertThat(reply.status()).isEqualTo(408);
            assertThat(client.closedByServer()).isTrue();
            assertWithin(took, LIMIT);
        }
        followUpSucceeds();
    }

    @Test
    void aContentLengthLongerThanTheBodySent() throws IOException {
        start();
        // says 10, sends the whole body: the request is the first 10 bytes (not JSON: 400); the rest is no request
        String body = Harness.chat("fast", false);
        try (RawClient client = raw()) {
            client.send(head("POST", "/v1/chat/completions", "Content-Type: application/json", "Content-Length: 10") + body);
            RawClient.Reply first = client.read();
            report("Content-Length claims less than sent", first.status(), RawClient.millisSince(client.lastSentNanos));
            assertThat(first.status()).isEqualTo(400);
            assertThat(first.isJsonError()).as(first.body()).isTrue();
            // what follows is not a request: it is refused (400) or, never completed, the connection is closed
            RawClient.Reply second = client.read();
            long took = RawClient.millisSince(client.lastSentNanos);
            report("  ... the bytes beyond it", second == null ? "closed" : second.status(), took);
            if (second != null) {
                assertThat(second.status()).isBetween(400, 499);
                assertThat(second.isJsonError()).isTrue();
            }
            assertThat(took).isLessThan(KEEP_ALIVE.toMillis() + SLACK_MS);
        }
        followUpSucceeds();
    }

    @Test
    void aContentLengthThatIsNotANumberGets400Json() throws IOException {
        start();
        try (RawClient client = raw()) {
            client.send(head("POST", "/v1/chat/completions", "Content-Type: application/json", "Content-Length: abc") + "{}");
            RawClient.Reply reply = client.read();
            long took = RawClient.millisSince(client.lastSentNanos);
            report("Content-Length: abc", reply.status(), took);
            assertThat(reply.status()).isEqualTo(400);
            assertThat(reply.isJsonError()).as(reply.body()).isTrue();
            assertThat(reply.body()).contains("malformed_request");
            assertThat(client.closedByServer()).isTrue();
        }
        assertThat(awaitLogLine(400, "malformed_request").path("error").asText()).isNotBlank();
        followUpSucceeds();
    }

    @Test
    void invalidChunkedEncodingGets400Json() throws IOException {
        start();
        try (RawClient client = raw()) {
            client.send(head("POST", "/v1/chat/completions", "Content-Type: application/json", "Transfer-Encoding: chunked")
                    + "5\r\n{\"mod\r\nzz-not-hex\r\nxyz\r\n0\r\n\r\n");
            RawClient.Reply reply = client.read();
            long took = RawClient.millisSince(client.lastSentNanos);
            report("invalid chunked encoding", reply.status(), took);
            assertThat(reply.status()).isEqualTo(400);
            assertThat(reply.isJsonError()).as(reply.body()).isTrue();
            assertThat(client.closedByServer()).isTrue();
        }
        awaitLogLine(400, null);
        followUpSucceeds();
    }

    @Test
    void headersOverTheLimitGet431Json() throws IOException {
        start();
        try (RawClient client = raw()) {
            client.send(head("GET", "/v1/models", "X-Big: " + "a".repeat(3000)));
            RawClient.Reply reply = client.read();
            long took = RawClient.millisSince(client.lastSentNanos);
            report("headers over 2048 bytes", reply.status(), took);
            assertThat(reply.status()).isEqualTo(431);
            assertThat(reply.isJsonError()).as(reply.body()).isTrue();
            assertThat(reply.body()).contains("request_header_fields_too_large").contains("2048");
            assertThat(client.closedByServer()).isTrue();
        }
        awaitLogLine(431, "request_header_fields_too_large");
        followUpSucceeds();
    }

    @Test
    void aBadRequestLineGets400Json() throws IOException {
        start();
        try (RawClient client = raw()) {
            client.send("THIS IS NOT HTTP\r\n\r\n");
            RawClient.Reply reply = client.read();
            report("bad request line", reply.status(), RawClient.millisSince(client.lastSentNanos));
            assertThat(reply.status()).isEqualTo(400);
            assertThat(reply.isJsonError()).as(reply.body()).isTrue();
            assertThat(client.closedByServer()).isTrue();
        }
        awaitLogLine(400, "malformed_request");
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws IOException {
        start();
        try (RawClient client = raw()) {
            client.send(chatRequest() + head("GET", "/v1/models") + chatRequest());
            RawClient.Reply first = client.read();
            RawClient.Reply second = client.read();
            RawClient.Reply third = client.read();
            report("three pipelined requests", first.status() + "/" + second.status() + "/" + third.status(),
                    RawClient.millisSince(client.lastSentNanos));
            assertThat(first.status()).isEqualTo(200);
            assertThat(first.body()).contains("chat.completion");
            assertThat(second.status()).isEqualTo(200);
            assertThat(second.body()).contains("\"object\":\"list\"");
            assertThat(third.status()).isEqualTo(200);
            assertThat(third.body()).contains("chat.completion");
            // kept alive, then closed once idle
            assertThat(client.closedByServer()).isTrue();
        }
        followUpSucceeds();
    }

    @Test
    void aKeptAliveConnectionReadsTheRequestAfterAQueuedOneAnsweredAtOnce() throws IOException {
        start();
        try (RawClient client = raw()) {
            // the chat is answered later, off the connection's event loop; the model list, queued behind it, at once
            client.send(chatRequest() + head("GET", "/v1/models"));
            assertThat(client.read().status()).isEqualTo(200);
            assertThat(client.read().status()).isEqualTo(200);

            client.send(head("GET", "/v1/models"));
            RawClient.Reply third = client.read();
            report("a request after a queued one", third == null ? "closed" : third.status(),
                    RawClient.millisSince(client.lastSentNanos));
            assertThat(third).as("the request after the queued one is read and answered").isNotNull();
            assertThat(third.status()).isEqualTo(200);
            assertThat(third.body()).contains("\"object\":\"list\"");
        }
    }

    @Test
    void aPipelinedRequestWithBrokenFramingIsRefusedAfterTheAnswerBeforeIt() throws IOException {
        start();
        try (RawClient client = raw()) {
            client.send(chatRequest() + head("POST", "/v1/chat/completions", "Content-Length: -5"));
            RawClient.Reply first = client.read();
            RawClient.Reply second = client.read();
            report("pipelined, second with Content-Length -5", first.status() + "/" + second.status(),
                    RawClient.millisSince(client.lastSentNanos));
            assertThat(first.status()).isEqualTo(200);
            assertThat(second.status()).isEqualTo(400);
            assertThat(second.isJsonError()).isTrue();
            assertThat(client.closedByServer()).isTrue();
        }
        followUpSucceeds();
    }

    @Test
    void aKeptAliveConnectionLeftIdleIsClosedSilently() throws IOException {
        start();
        try (RawClient client = raw()) {
            client.send(chatRequest());
            assertThat(client.read().status()).isEqualTo(200);
            long answered = System.nanoTime();
            assertThat(client.read()).isNull();
            long took = RawClient.millisSince(answered);
            report("kept alive, idle", "closed", took);
            assertWithin(took, KEEP_ALIVE);
        }
    }

    @Test
    void aSecondRequestsPartialHeadersOnAKeptAliveConnectionGet408() throws IOException {
        start();
        try (RawClient client = raw()) {
            client.send(chatRequest());
            assertThat(client.read().status()).isEqualTo(200);
            client.send("GET /v1/mod");
            RawClient.Reply reply = client.read();
            long took = RawClient.millisSince(client.lastSentNanos);
            report("kept alive, partial next request", reply.status(), took);
            assertThat(reply.status()).isEqualTo(408);
            assertWithin(took, LIMIT);
        }
    }

    // ------------------------------------------------------------------ connections

    @Test
    void connectionsPastTheLimitAreClosedAtOnce() throws IOException {
        h = new Harness(SimulatedProvider.builder().model("fast", Behaviour.answer("quick")), """
                server: { port: 0, max-connections: 16, header-timeout: 20s, keep-alive-timeout: 20s }
                providers:
                  fast: { type: openai, base-url: "${simulator}/v1", model: fast }
                routes:
                  - alias: fast
                    tiers: [ { providers: [fast] } ]
                """, Map.of());
        List<RawClient> held = new ArrayList<>();
        List<RawClient> flood = new ArrayList<>();
        try {
            // sixteen kept-alive connections, each proven accepted by an answer
            for (int i = 0; i < 16; i++) {
                RawClient client = raw().send(head("GET", "/healthz"));
                assertThat(client.read().status()).isEqualTo(200);
                held.add(client);
            }
            // the flood: every further connection is closed at once, without an answer
            for (int i = 0; i < 24; i++) {
                flood.add(new RawClient(h.router.port(), READ));
            }
            long longest = 0;
            for (RawClient client : flood) {
                long opened = client.lastSentNanos;
                RawClient.Reply reply;
                try {
                    client.send(head("GET", "/healthz"));
                    reply = client.read();
                } catch (IOException reset) {
                    reply = null;
                }
                assertThat(reply).isNull();
                longest = Math.max(longest, RawClient.millisSince(opened));
            }
            report("24 connections past max-connections 16", "closed", longest);
            assertThat(longest).isLessThan(SLACK_MS);
            // the sixteen still work
            held.get(0).send(head("GET", "/healthz"));
            assertThat(held.get(0).read().status()).isEqualTo(200);
        } finally {
            for (RawClient client : flood) {
                client.close();
            }
            for (RawClient client : held) {
                client.close();
            }
        }
        // once they are closed, new connections are taken again
        Harness.await("a new connection is served", () -> {
            try (RawClient client = raw()) {
                client.send(head("GET", "/healthz"));
                RawClient.Reply reply = client.read();
                return reply != null && reply.status() == 200;
            } catch (IOException refused) {
                return false;
            }
        });
        followUpSucceeds();
        String metrics = h.get("/metrics", Map.of()).body();
        java.util.regex.Matcher refused = java.util.regex.Pattern.compile("detour_http_connections_refused_total (\\d+)").matcher(metrics);
        assertThat(refused.find()).as(metrics).isTrue();
        assertThat(Long.parseLong(refused.group(1))).isGreaterThanOrEqualTo(24);
    }
}
