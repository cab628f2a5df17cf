package dev.detour.bench;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A JVM the benchmark starts beside itself (the router, the upstream simulator): started with the
 * same {@code java} as this one, its standard output discarded (the router's request log would
 * otherwise fill a pipe), its standard error kept in a file for when it fails to start.
 */
final class ChildJvm implements AutoCloseable {

    private final String name;
    private final Process process;
    private final Path errors;
    private final List<String> command;

    private ChildJvm(String name, Process process, Path errors, List<String> command) {
        this.name = name;
        this.process = process;
        this.errors = errors;
        this.command = command;
    }

    /**
     * Starts {@code java flags… launch…} in {@code dir} with {@code environment} added, and waits until
     * it accepts connections on {@code port} (at most 60 s).
     */
    static ChildJvm start(String name, List<String> flags, List<String> launch, Map<String, String> environment, Path dir,
                          int port) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(flags);
        command.addAll(launch);
        Path errors = dir.resolve(name + ".err");
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(errors.toFile());
        builder.environment().putAll(environment);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the " + name + ": " + e.getMessage(), e);
        }
        ChildJvm child = new ChildJvm(name, process, errors, command);
        child.awaitPort(port, Duration.ofSeconds(60));
        return child;
    }

    private void awaitPort(int port, Duration patience) {
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the " + name + " exited with " + process.exitValue() + " before listening: "
                        + tail());
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                if (System.nanoTime() - deadline > 0) {
                    close();
                    throw new IllegalStateException("the " + name + " is not listening on port " + port + " after "
                            + patience.toSeconds() + " s: " + tail());
                }
                LockSupport.parkNanos(20_000_000L);
            }
        }
    }

    private String tail() {
        try {
            String text = Files.readString(errors);
            return text.length() > 2000 ? text.substring(text.length() - 2000) : text;
        } catch (IOException e) {
            return "(no error output)";
        }
    }

    /** A port free on loopback now (the child binds it moments later). */
    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** This JVM's classpath with every entry made absolute, for a child started in another directory. */
    static String classpath() {
        List<String> entries = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            entries.add(Path.of(entry).toAbsolutePath().toString());
        }
        return String.join(File.pathSeparator, entries);
    }

    /** The process id. */
    long pid() {
        return process.pid();
    }

    /** Whether it still runs. */
    boolean alive() {
        return process.isAlive();
    }

    /** The command line, for the report (arguments after the main class or jar included). */
    List<String> command() {
        return command;
    }

    /** Asks it to stop (SIGTERM: its shutdown hooks run), then kills it after 10 s. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
