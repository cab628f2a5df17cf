package dev.detour.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.detour.sim.Behaviour;
import dev.detour.sim.SimulatedProvider;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Slow clients over TLS: a connection that never finishes its request is closed, and the server serves on. */
class TlsSlowClientTest {

    private static final String KEY = "client-key-tls-slow";

    @TempDir
    static Path directory;
    private static TestCertificate certificate;
    private static Harness h;

    @BeforeAll
    static void start() {
        certificate = TestCertificate.create(directory, "EC", "slow");
        h = new Harness(SimulatedProvider.builder().model("ok", Behaviour.answer("fine")), """
                server: { port: 0, shutdown-grace: 5s, header-timeout: 300ms, body-idle-timeout: 300ms, body-timeout: 1s,
                          tls: { cert-file: "%s", key-file: "%s" } }
                client-key-envs: [CLIENT_KEY]
                providers:
                  ok: { type: openai, base-url: "${simulator}/v1", model: ok }
                routes:
                  - alias: plain
                    tiers: [ { providers: [ok] } ]
                """.formatted(certificate.certFile(), certificate.keyFile()), Map.of("CLIENT_KEY", KEY));
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    private static SSLSocket connect() throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {certificate.trustManager()}, new SecureRandom());
        int port = Integer.parseInt(h.router.baseUrl().substring(h.router.baseUrl().lastIndexOf(':') + 1));
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        socket.startHandshake();
        return socket;
    }

    /** Reads until the server closes the connection; fails on the socket's own timeout. */
    private static String readToClose(SSLSocket socket) throws IOException {
        InputStream in = socket.getInputStream();
        StringBuilder read = new StringBuilder();
        byte[] buffer = new byte[1024];
        try {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                read.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server kept the connection open: " + read, e);
        } catch (IOException closed) {
            return read.toString();
        }
        return read.toString();
    }

    @Test
    void partialHeadersAreCutAndTheServerServesOn() throws Exception {
        try (SSLSocket socket = connect()) {
            socket.getOutputStream().write("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n".getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();

            assertThat(readToClose(socket)).doesNotContain("200 OK");
        }
        try (SSLSocket socket = connect()) {
            String body = Harness.chat("plain", false);
            socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + KEY
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body)
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();

            assertThat(readToClose(socket)).startsWith("HTTP/1.1 200").contains("fine");
        }
    }

    @Test
    void aBodyThatStallsIsCut() throws Exception {
        try (SSLSocket socket = connect()) {
            socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + KEY
                    + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"model\":").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();

            assertThat(readToClose(socket)).doesNotContain("200 OK");
        }
    }
}
