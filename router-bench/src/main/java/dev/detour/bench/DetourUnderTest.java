package dev.detour.bench;

import dev.detour.http.DetourServer;
import dev.detour.http.config.ConfigLoader;
import dev.detour.http.config.ConfigVersions;
import dev.detour.sim.SimulatedProvider;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The Detour router a side-by-side scenario measures, with the upstream it calls: by default each
 * in a JVM of its own, the router started the way users start it ({@code java ROUTER_FLAGS -jar
 * router-http.jar --config detour.yaml}) on a generated configuration; with {@code --in-process},
 * both in the benchmark's JVM.
 */
final class DetourUnderTest implements AutoCloseable {

    /** The router's JVM flags: the ones the README recommends (RSS ≤ 256 MB at 2,000 req/s). */
    static final List<String> ROUTER_FLAGS = List.of("-Xmx96m", "-XX:+UseSerialGC");

    private static final List<String> UPSTREAM_FLAGS = List.of("-Xmx512m");
    private static final String ADMIN_TOKEN_ENV = "DETOUR_BENCH_ADMIN_TOKEN";

    final String url;
    final String upstreamUrl;
    final HeapProbe heap;
    /** The router's and the upstream's processes, by name ({@code router}, {@code upstream}); one entry in-process. */
    final Map<String, ProcessStats> processes;
    /** How the router runs, for the report. */
    final String layout;
    private final List<AutoCloseable> resources;

    private DetourUnderTest(String url, String upstreamUrl, String token, Map<String, ProcessStats> processes, String layout,
                            List<AutoCloseable> resources) {
        this.url = url;
        this.upstreamUrl = upstreamUrl;
        this.heap = new HeapProbe(url, token);
        this.processes = processes;
        this.layout = layout;
        this.resources = resources;
    }

    /** The router's configuration: one provider, model {@code bench} at {@code upstream}, and the admin API. */
    static String config(String upstream, int port) {
        return "server: { host: 127.0.0.1, port: " + port + ", shutdown-grace: 1s }\n"
                + "admin: { token-env: " + ADMIN_TOKEN_ENV + " }\n"
                + "providers:\n"
                + "  bench: { type: openai, base-url: \"" + upstream + "/v1\", model: bench, max-connections: 512 }\n"
                + "routes:\n"
                + "  - alias: bench\n    tiers: [ { providers: [bench] } ]\n";
    }

    /** Starts the router (and the upstream, unless {@code --upstream} names one) as {@code options} say. */
    static DetourUnderTest start(Options options) {
        Lineup lineup = options.lineup();
        String token = UUID.randomUUID().toString();
        List<AutoCloseable> resources = new ArrayList<>();
        try {
            return lineup.inProcess() ? inProcess(options, token, resources) : separate(options, token, resources);
        } catch (RuntimeException e) {
            closeAll(resources);
            throw e;
        }
    }

    private static DetourUnderTest inProcess(Options options, String token, List<AutoCloseable> resources) {
        String upstream = options.lineup().upstream();
        if (upstream == null) {
            SimulatedProvider sim = Upstream.simulator(options.seed()).start();
            resources.add(0, sim);
            upstream = sim.baseUrl();
        }
        DetourServer router = server(config(upstream, 0), name -> ADMIN_TOKEN_ENV.equals(name) ? token : null);
        resources.add(0, router);
        return new DetourUnderTest(router.baseUrl(), upstream, token, Map.of("bench_jvm", ProcessStats.self()),
                "one JVM: generator, Detour router" + (options.lineup().upstream() == null ? " and simulator" : ""), resources);
    }

    /** A router in this JVM on {@code yaml}, its request log discarded. */
    static DetourServer server(String yaml, Function<String, String> environment) {
        return DetourServer.start(new ConfigVersions(ConfigLoader.parse(yaml, "bench.yaml"), "bench.yaml"), environment,
                new PrintStream(OutputStream.nullOutputStream(), false));
    }

    private static DetourUnderTest separate(Options options, String token, List<AutoCloseable> resources) {
        Path dir;
        try {
            dir = Files.createTempDirectory("detour-bench");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        resources.add(() -> delete(dir));
        String upstream = options.lineup().upstream();
        Map<String, ProcessStats> processes = new LinkedHashMap<>();
        ChildJvm sim = null;
        if (upstream == null) {
            int port = ChildJvm.freePort();
            sim = ChildJvm.start("upstream", UPSTREAM_FLAGS, List.of("-cp", ChildJvm.classpath(),
                    Upstream.class.getName(), "--port", Integer.toString(port), "--seed", Long.toString(options.seed())),
                    Map.of(), dir, port);
            resources.add(0, sim);
            upstream = "http://127.0.0.1:" + port;
        }
        int port = ChildJvm.freePort();
        Path config = dir.resolve("detour.yaml");
        try {
            Files.writeString(config, config(upstream, port));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> launch = new ArrayList<>(launch(options.lineup().routerJar()));
        launch.addAll(List.of("--config", config.toString()));
        ChildJvm router = ChildJvm.start("router", ROUTER_FLAGS, launch, Map.of(ADMIN_TOKEN_ENV, token), dir, port);
        resources.add(0, router);
        processes.put("router", new ProcessStats(List.of(router.pid())));
        if (sim != null) {
            processes.put("upstream", new ProcessStats(List.of(sim.pid())));
        }
        processes.put("generator", ProcessStats.self());
        String how = String.join(" ", ROUTER_FLAGS) + " " + (launch.get(0).equals("-jar") ? "-jar " + launch.get(1)
                : "-cp <the benchmark's classpath> dev.detour.http.Main");
        return new DetourUnderTest("http://127.0.0.1:" + port, upstream, token, processes,
                "separate JVMs: Detour router (java " + how + "), " + (options.lineup().upstream() == null
                        ? "upstream simulator (java " + String.join(" ", UPSTREAM_FLAGS) + ")" : "upstream " + upstream)
                        + ", load generator", resources);
    }

    /**
     * How to launch the router: {@code -jar} the given jar, else {@code router-http/target/router-http.jar}
     * (from the project's root or a module's directory), else this JVM's classpath with the router's
     * main class (the benchmark's jar holds the same classes).
     */
    static List<String> launch(Path jar) {
        if (jar != null) {
            if (!Files.isRegularFile(jar)) {
                throw new IllegalArgumentException("--router-jar: no file " + jar);
            }
            return List.of("-jar", jar.toAbsolutePath().toString());
        }
        for (Path candidate : List.of(Path.of("router-http", "target", "router-http.jar"),
                Path.of("..", "router-http", "target", "router-http.jar"))) {
            if (Files.isRegularFile(candidate)) {
                return List.of("-jar", candidate.toAbsolutePath().normalize().toString());
            }
        }
        return List.of("-cp", ChildJvm.classpath(), "dev.detour.http.Main");
    }

    /** Deletes the configuration and the children's error output. */
    private static void delete(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.toList()) {
                Files.deleteIfExists(file);
            }
        }
        Files.deleteIfExists(dir);
    }

    @Override
    public void close() {
        closeAll(resources);
    }

    private static void closeAll(List<AutoCloseable> resources) {
        for (AutoCloseable resource : resources) {
            try {
                resource.close();
            } catch (Exception e) {
                // keep closing the others
            }
        }
    }
}
