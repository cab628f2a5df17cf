package dev.detour.http;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A plain {@link Socket} speaking raw HTTP/1.1 to the router, for what no HTTP client sends: partial
 * requests, lying lengths, broken chunks. Every read has a timeout, so a hang fails instead of blocking.
 */
final class RawClient implements AutoCloseable {

    /** A response: its status, headers (lower-case names), body, and when its first byte came. */
    record Reply(int status, Map<String, String> headers, String body, long firstByteNanos) {

        boolean isJsonError() {
            return headers.getOrDefault("content-type", "").startsWith("application/json") && body.contains("\"error\"")
                    && body.contains("\"message\"") && body.contains("\"type\"") && body.contains("\"param\"")
                    && body.contains("\"code\"");
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    long lastSentNanos;

    RawClient(int port, Duration readTimeout) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout((int) readTimeout.toMillis());
        socket.setTcpNoDelay(true);
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
        lastSentNanos = System.nanoTime();
    }

    RawClient send(String text) throws IOException {
        return send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    RawClient send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        lastSentNanos = System.nanoTime();
        return this;
    }

    /**
     * Reads one response (its body by content-length, or chunked, or to the close); null when the server closed
     * (or reset) the connection before a byte of it. A read that times out throws {@link SocketTimeoutException}.
     */
    Reply read() throws IOException {
        String status;
        try {
            status = line(true);
        } catch (SocketException reset) {
            return null;
        }
        if (status == null) {
            return null;
        }
        long first = System.nanoTime();
        Map<String, String> headers = new LinkedHashMap<>();
        for (String header = line(false); header != null && !header.isEmpty(); header = line(false)) {
            int colon = header.indexOf(':');
            headers.put(header.substring(0, colon).strip().toLowerCase(Locale.ROOT), header.substring(colon + 1).strip());
        }
        String[] parts = status.split(" ", 3);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (headers.containsKey("content-length")) {
            body.write(in.readNBytes(Integer.parseInt(headers.get("content-length"))));
        } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            for (int size = Integer.parseInt(line(false).strip(), 16); size > 0; size = Integer.parseInt(line(false).strip(), 16)) {
                body.write(in.readNBytes(size));
                line(false);
            }
            line(false);
        } else {
            body.write(in.readAllBytes());
        }
        return new Reply(Integer.parseInt(parts[1]), headers, body.toString(StandardCharsets.UTF_8), first);
    }

    /** Whether the server has closed the connection: the next read ends (or is reset) instead of timing out. */
    boolean closedByServer() throws IOException {
        try {
            return in.read() == -1;
        } catch (SocketTimeoutException stillOpen) {
            return false;
        } catch (SocketException reset) {
            return true;
        }
    }

    private String line(boolean first) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); ; b = in.read()) {
            if (b == -1) {
                return first && line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
            }
            if (b == '\n') {
                String text = line.toString(StandardCharsets.ISO_8859_1);
                return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
            }
            line.write(b);
        }
    }

    static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
