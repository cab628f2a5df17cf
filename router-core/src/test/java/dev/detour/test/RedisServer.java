package dev.detour.test;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} for a test, on a free port, without persistence: started by {@link #start}, stopped
 * by {@link #close()}, and stopped, restarted on the same port, paused or resumed in between to play an outage.
 * A missing binary fails the test: CI installs it ({@code .ci/run}), and a test that needs Redis never skips.
 */
public final class RedisServer implements AutoCloseable {

    private final Path binary;
    private final int port;
    private final String password;
    private Process process;

    private RedisServer(Path binary, int port, String password) {
        this.binary = binary;
        this.port = port;
        this.password = password;
    }

    /** A server on a free port, started and answering. */
    public static RedisServer start() {
        return start(null);
    }

    /** A server on a free port that requires {@code password} (none when null), started and answering. */
    public static RedisServer start(String password) {
        RedisServer server = new RedisServer(binary(), freePort(), password);
        server.restart();
        return server;
    }

    /** {@code redis://[:password@]127.0.0.1:port}. */
    public String url() {
        return "redis://" + (password != null ? ":" + password + "@" : "") + "127.0.0.1:" + port;
    }

    /** The port. */
    public int port() {
        return port;
    }

    /** Starts it again (empty) on the same port, and waits until it answers. */
    public void restart() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("redis-server is running already");
        }
        List<String> command = new ArrayList<>(List.of(binary.toString(), "--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"));
        if (password != null) {
            command.addAll(List.of("--requirepass", password));
        }
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + binary, e);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!answers()) {
            if (System.nanoTime() > deadline || !process.isAlive()) {
                throw new IllegalStateException("redis-server on port " + port + " did not answer PING");
            }
            sleep(20);
        }
    }

    /** Stops it (SIGKILL: an outage, not a shutdown) and waits until it is gone. */
    public void stop() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Freezes it (SIGSTOP): connections stay open and nothing answers. */
    public void pause() {
        signal("-STOP");
    }

    /** Thaws it after {@link #pause()}. */
    public void resume() {
        signal("-CONT");
    }

    private void signal(String signal) {
        try {
            new ProcessBuilder("kill", signal, Long.toString(process.pid())).start().waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        resume();
        stop();
    }

    private boolean answers() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            socket.setSoTimeout(1000);
            OutputStream out = socket.getOutputStream();
            out.write(((password != null ? "AUTH " + password + "\r\n" : "") + "PING\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[64];
            StringBuilder seen = new StringBuilder();
            while (!seen.toString().contains("PONG")) {
                int n = in.read(buffer);
                if (n < 0) {
                    return false;
                }
                seen.append(new String(buffer, 0, n, StandardCharsets.US_ASCII));
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static Path binary() {
        List<String> places = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        places.addAll(List.of("/usr/bin", "/usr/sbin", "/usr/local/bin"));
        for (String place : places) {
            Path candidate = Path.of(place.isEmpty() ? "." : place, "redis-server");
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("redis-server not found on the PATH: the tests of shared state need it "
                + "(.ci/run installs the Debian package redis-server)");
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
