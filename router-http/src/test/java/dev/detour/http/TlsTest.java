package dev.detour.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.detour.sim.Behaviour;
import dev.detour.sim.Latency;
import dev.detour.sim.SimulatedProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.Http11SslContextSpec;
import reactor.netty.http.Http2SslContextSpec;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.client.HttpClient;

/**
 * HTTPS on the router over real sockets, with a certificate keytool makes for the test: HTTP/2 by ALPN
 * and HTTP/1.1, the official OpenAI SDK, plain HTTP to the TLS port, a reload, a shutdown.
 */
class TlsTest {

    private static final String KEY = "client-key-tls-2718";
    private static final String ADMIN = "admin-token-tls-1618";
    private static final Map<String, String> AUTH = Map.of("authorization", "Bearer " + KEY, "content-type", "application/json");
    private static final String YAML = """
            server: { port: 0, shutdown-grace: 5s, tls: { cert-file: "${cert}", key-file: "${key}" } }
            admin: { token-env: ADMIN }
            client-key-envs: [CLIENT_KEY]
            providers:
              ok: { type: openai, base-url: "${simulator}/v1", model: ok }
            routes:
              - alias: plain
                tiers: [ { providers: [ok] } ]
            """;

    @TempDir
    static Path directory;
    private static TestCertificate certificate;
    private static Harness harness;

    @BeforeAll
    static void start() {
        certificate = TestCertificate.create(directory, "EC", "server");
        harness = harness(certificate);
    }

    @AfterAll
    static void stop() {
        if (harness != null) {
            harness.close();
        }
    }

    private static Harness harness(TestCertificate certificate) {
        return new Harness(SimulatedProvider.builder().model("ok", Behaviour.answer("All good over TLS.")),
                yaml(certificate), Map.of("CLIENT_KEY", KEY, "ADMIN", ADMIN));
    }

    private static String yaml(TestCertificate certificate) {
        return YAML.replace("${cert}", certificate.certFile().toString()).replace("${key}", certificate.keyFile().toString());
    }

    /** A client trusting the test certificate only, speaking {@code protocol}. */
    private static HttpClient client(Harness h, HttpProtocol protocol) {
        HttpClient client = HttpClient.create().baseUrl(h.router.baseUrl()).protocol(protocol);
        return protocol == HttpProtocol.H2
                ? client.secure(spec -> spec.sslContext(Http2SslContextSpec.forClient()
                        .configure(builder -> builder.trustManager(certificate.trustManager()))))
                : client.secure(spec -> spec.sslContext(Http11SslContextSpec.forClient()
                        .configure(builder -> builder.trustManager(certificate.trustManager()))));
    }

    private record Answer(int status, String version, String body) {
    }

    private static Answer post(HttpClient client, String path, String body, Map<String, String> headers) {
        return client.headers(h -> headers.forEach(h::set))
                .post()
                .uri(path)
                .send(ByteBufFlux.fromString(Mono.just(body)))
                .responseSingle((response, content) -> content.asString().defaultIfEmpty("")
                        .map(text -> new Answer(response.status().code(), response.version().text(), text)))
                .block(Harness.WAIT);
    }

    @Test
    void aChatAnswerOverHttp2NegotiatedByAlpn() {
        assertThat(harness.router.baseUrl()).startsWith("https://127.0.0.1:");

        Answer answer = post(client(harness, HttpProtocol.H2), "/v1/chat/completions", Harness.chat("plain", false), AUTH);

        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.version()).isEqualTo("HTTP/2.0");
        assertThat(answer.body()).contains("All good over TLS.");
    }

    @Test
    void aStreamedChatAnswerOverHttp2() {
        Answer answer = post(client(harness, HttpProtocol.H2), "/v1/chat/completions", Harness.chat("plain", true), AUTH);

        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.version()).isEqualTo("HTTP/2.0");
        assertThat(answer.body()).contains("data: ").contains("over").endsWith("data: [DONE]\n\n");
    }

    @Test
    void aChatAnswerOverHttp11WhenTheClientOffersOnlyThat() {
        Answer answer = post(client(harness, HttpProtocol.HTTP11), "/v1/chat/completions", Harness.chat("plain", false), AUTH);

        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.version()).isEqualTo("HTTP/1.1");
        assertThat(answer.body()).contains("All good over TLS.");
    }

    @Test
    void theOfficialOpenAiSdkOverHttps() {
        OpenAIClient sdk = OpenAIOkHttpClient.builder()
                .baseUrl(harness.router.baseUrl() + "/v1")
                .apiKey(KEY)
                .sslSocketFactory(certificate.sslContext().getSocketFactory())
                .trustManager(certificate.trustManager())
                .maxRetries(0)
                .timeout(Duration.ofSeconds(15))
                .build();
        try {
            ChatCompletion completion = sdk.chat().completions().create(ChatCompletionCreateParams.builder()
                    .model("plain").addUserMessage("Say hello.").build());

            assertThat(completion.choices().get(0).message().content()).contains("All good over TLS.");
        } finally {
            sdk.close();
        }
    }

    @Test
    void aClientThatDoesNotTrustTheCertificateIsRefusedByItsOwnCheck() {
        HttpClient untrusting = HttpClient.create().baseUrl(harness.router.baseUrl())
                .secure(spec -> spec.sslContext(Http11SslContextSpec.forClient()));

        assertThatThrownBy(() -> post(untrusting, "/v1/chat/completions", Harness.chat("plain", false), AUTH))
                .hasRootCauseInstanceOf(java.security.cert.CertPathBuilderException.class);
        // the server is unharmed
        assertThat(post(client(harness, HttpProtocol.H2), "/v1/chat/completions", Harness.chat("plain", false), AUTH).status())
                .isEqualTo(200);
    }

    @Test
    void plainHttpToTheTlsPortIsClosedAtOnceWithoutAnAnswerOrALogOfWhatItSent() throws IOException {
        long calls = harness.simulator.stats("ok").requests();
        List<String> logged = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                logged.add(record.getLoggerName() + " " + record.getMessage() + " " + record.getThrown());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger root = Logger.getLogger("");
        root.addHandler(capture);
        byte[] received;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", harness.router.port()), 5_000);
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\n"
                    + "authorization: Bearer " + KEY + "\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}")
                    .getBytes(StandardCharsets.US_ASCII));
            received = readToEnd(socket.getInputStream());
        } finally {
            root.removeHandler(capture);
        }

        String keyInHex = java.util.HexFormat.of().formatHex(KEY.getBytes(StandardCharsets.US_ASCII));
        assertThat(logged).noneMatch(line -> line.contains(keyInHex) || line.contains(KEY) || line.contains("NotSslRecord"));

        assertThat(new String(received, StandardCharsets.ISO_8859_1)).doesNotContain("HTTP/1.1").doesNotContain("All good");
        assertThat(harness.simulator.stats("ok").requests()).as("no provider call for it").isEqualTo(calls);
        // and the server still serves HTTPS
        assertThat(post(client(harness, HttpProtocol.H2), "/v1/chat/completions", Harness.chat("plain", false), AUTH).status())
                .isEqualTo(200);
    }

    /** Reads until the server closes the connection; a read timeout (a hang) fails the test. */
    private static byte[] readToEnd(InputStream in) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        byte[] buffer = new byte[1024];
        try {
            for (int n; (n = in.read(buffer)) != -1; ) {
                bytes.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server kept a plain-HTTP connection to its TLS port open", e);
        } catch (java.net.SocketException e) {
            // a reset is a close too
        }
        return bytes.toByteArray();
    }

    @Test
    void aReloadKeepsTlsAndRefusesToChangeIt() {
        TestCertificate other = TestCertificate.create(directory, "EC", "other");
        HttpClient client = client(harness, HttpProtocol.H2);
        String yaml = yaml(certificate).replace("${simulator}", harness.simulator.baseUrl());
        Map<String, String> admin = Map.of("authorization", "Bearer " + ADMIN);

        Answer same = post(client, "/admin/config", yaml + "  - alias: second\n    tiers: [ { providers: [ok] } ]\n", admin);
        Answer changed = post(client, "/admin/config", yaml(other).replace("${simulator}", harness.simulator.baseUrl()), admin);

        assertThat(same.status()).as(same.body()).isEqualTo(200);
        assertThat(changed.status()).isEqualTo(400);
        assertThat(changed.body()).contains("server.tls cannot change while running (restart to change it)");
        assertThat(post(client, "/v1/chat/completions", Harness.chat("plain", false), AUTH).body()).contains("All good over TLS.");
    }

    @Test
    void aGracefulShutdownLetsAnHttp2RequestInFlightFinish() throws Exception {
        TestCertificate rsa = TestCertificate.create(directory, "RSA", "rsa");
        Harness own = shutdownHarness(rsa, "5s");
        CompletableFuture<Answer> inFlight = CompletableFuture.supplyAsync(() ->
                post(client(own, rsa, HttpProtocol.H2), "/v1/chat/completions", Harness.chat("slow", false), AUTH));
        own.simulator.awaitStats("slow", stats -> stats.inFlight() == 1).block(Harness.WAIT);

        CompletableFuture<Void> closed = CompletableFuture.runAsync(own::close);

        Answer answer = inFlight.get(Harness.WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.version()).isEqualTo("HTTP/2.0");
        assertThat(answer.body()).contains("slow but sure");
        closed.get(Harness.WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(own.simulator.stats("slow").completed()).isEqualTo(1);
        assertThat(own.simulator.stats("slow").disconnects()).isZero();
        // nothing listens any more
        assertThatThrownBy(() -> post(client(own, rsa, HttpProtocol.H2), "/healthz", "", Map.of())).isNotNull();
    }

    @Test
    void anHttp2RequestStillInFlightWhenTheGraceRunsOutIsCutAndItsProviderCallCancelled() throws Exception {
        Harness own = shutdownHarness(certificate, "200ms");
        CompletableFuture<String> inFlight = CompletableFuture.supplyAsync(() -> {
            try {
                return "status " + post(client(own, certificate, HttpProtocol.H2), "/v1/chat/completions",
                        Harness.chat("stuck", false), AUTH).status();
            } catch (RuntimeException e) {
                return "closed: " + e.getClass().getSimpleName();
            }
        });
        own.simulator.awaitStats("stuck", stats -> stats.inFlight() == 1).block(Harness.WAIT);

        CompletableFuture.runAsync(own::close).get(Harness.WAIT.toSeconds(), TimeUnit.SECONDS);

        assertThat(inFlight.get(Harness.WAIT.toSeconds(), TimeUnit.SECONDS)).isNotNull();
        assertThat(own.simulator.awaitStats("stuck", stats -> stats.disconnects() == 1).block(Harness.WAIT).completed()).isZero();
    }

    private static Harness shutdownHarness(TestCertificate certificate, String grace) {
        return new Harness(SimulatedProvider.builder()
                .model("slow", Behaviour.answer("slow but sure").latency(Latency.fixed(Duration.ofMillis(1500))))
                .model("stuck", Behaviour.stall()),
                yaml(certificate).replace("shutdown-grace: 5s", "shutdown-grace: " + grace)
                        .replace("  ok: { type: openai, base-url: \"${simulator}/v1\", model: ok }",
                                "  slow: { type: openai, base-url: \"${simulator}/v1\", model: slow }\n"
                                        + "  stuck: { type: openai, base-url: \"${simulator}/v1\", model: stuck }")
                        .replace("  - alias: plain\n    tiers: [ { providers: [ok] } ]",
                                "  - alias: slow\n    tiers: [ { providers: [slow], timeout: 20s } ]\n"
                                        + "  - alias: stuck\n    tiers: [ { providers: [stuck], timeout: 20s } ]"),
                Map.of("CLIENT_KEY", KEY, "ADMIN", ADMIN));
    }

    /** A client on its own connection, trusting {@code certificate} only. */
    private static HttpClient client(Harness h, TestCertificate certificate, HttpProtocol protocol) {
        return HttpClient.newConnection().baseUrl(h.router.baseUrl()).protocol(protocol)
                .secure(spec -> spec.sslContext(Http2SslContextSpec.forClient()
                        .configure(builder -> builder.trustManager(certificate.trustManager()))));
    }
}
