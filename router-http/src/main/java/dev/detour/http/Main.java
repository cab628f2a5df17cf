package dev.detour.http;

import dev.detour.http.config.ConfigException;
import dev.detour.http.config.ConfigLoader;
import dev.detour.http.config.ConfigVersions;
import dev.detour.http.config.ConfigWatcher;
import dev.detour.sim.SimulatedProvider;
import dev.detour.sim.SimulatorMain;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;

/**
 * Starts the router. With no arguments, demo mode: simulated providers in-process behind a demo
 * configuration on 127.0.0.1:8080. With {@code --config detour.yaml}, real providers; the file is
 * watched and reloaded when it changes.
 */
public final class Main {

    static final String DEMO_ADMIN_TOKEN = "demo-admin-token";

    private Main() {
    }

    /** Entry point: {@code [--config FILE] [--port N]}. */
    public static void main(String[] args) throws InterruptedException {
        System.setProperty("slf4j.internal.verbosity", "ERROR");
        String config = null;
        Integer port = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--config" -> config = value(args, ++i, "--config");
                case "--port" -> port = Integer.parseInt(value(args, ++i, "--port"));
                case "--help", "-h" -> {
                    System.out.println("usage: java -jar router-http.jar [--config detour.yaml] [--port N]");
                    return;
                }
                default -> fail("unknown argument " + args[i] + "; usage: java -jar router-http.jar [--config detour.yaml] [--port N]");
            }
        }
        CountDownLatch stopped = new CountDownLatch(1);
        try {
            Runnable stop = config == null ? demo(port == null ? 8080 : port) : real(Path.of(config));
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                stop.run();
                stopped.countDown();
            }, "detour-shutdown"));
        } catch (ConfigException e) {
            fail(e.getMessage());
        } catch (RuntimeException e) {
            fail("cannot start: " + e.getMessage());
        }
        stopped.await();
    }

    private static Runnable real(Path file) {
        ConfigVersions versions = new ConfigVersions(ConfigLoader.load(file), file.getFileName().toString());
        DetourServer server = DetourServer.start(versions, System::getenv, System.out);
        server.reloadFrom(file);
        var watcher = new ConfigWatcher(file, versions, failure -> System.err.println("reload failed, keeping the running config: "
                + failure.getMessage())).start();
        System.out.println("Detour listening on " + server.baseUrl() + " (config " + file + ", version "
                + versions.current().number() + ")");
        return () -> {
            watcher.dispose();
            server.close();
        };
    }

    /** Starts the simulator and the router on the demo configuration; returns how to stop both. */
    static Runnable demo(int port) {
        SimulatedProvider simulator = SimulatorMain.demo().start();
        String yaml = demoConfig(simulator.baseUrl(), port);
        Map<String, String> environment = Map.of("DETOUR_DEMO_ADMIN_TOKEN", DEMO_ADMIN_TOKEN);
        Function<String, String> env = name -> environment.getOrDefault(name, System.getenv(name));
        DetourServer server = DetourServer.start(new ConfigVersions(ConfigLoader.parse(yaml, "demo.yaml"), "demo.yaml"), env, System.out);
        System.out.println(banner(server.baseUrl()));
        return () -> {
            server.close();
            simulator.close();
        };
    }

    static String demoConfig(String simulator, int port) {
        try (InputStream in = Main.class.getResourceAsStream("/demo.yaml")) {
            String template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return template.replace("${simulator}", simulator).replace("${port}", Integer.toString(port));
        } catch (IOException e) {
            throw new IllegalStateException("demo.yaml is missing from the jar", e);
        }
    }

    static String banner(String base) {
        String chat = "curl -si " + base + "/v1/chat/completions -H 'content-type: application/json' -d ";
        return String.join("\n",
                "",
                "Detour demo on " + base + " (simulated providers in-process). Try:",
                "",
                "  # fallback: a flaky primary (30 % 503s) falls back; see x-detour-fallback and x-detour-attempts",
                "  " + chat + "'{\"model\":\"demo\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}'",
                "  # hedging: a slow provider raced by a fast one after 100 ms",
                "  " + chat + "'{\"model\":\"hedged\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}'",
                "  # a stream cut mid-answer, continued by the next provider (look for x_detour.failover)",
                "  curl -sN " + base + "/v1/chat/completions -H 'content-type: application/json' -d "
                        + "'{\"model\":\"stream\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}'",
                "  # a breaker: run this 6 times, then see the provider skipped without a call",
                "  " + chat + "'{\"model\":\"limited\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}'",
                "  curl -s " + base + "/admin/providers -H 'authorization: Bearer " + DEMO_ADMIN_TOKEN + "'",
                "  # a degraded answer when nothing live answers (x-detour-degraded)",
                "  " + chat + "'{\"model\":\"degraded\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}'",
                "  # the Anthropic door: a Messages stream from an Anthropic provider that is overloaded (529) half the time,",
                "  # falling back to an OpenAI-compatible one; or run Claude Code / an Anthropic SDK against the router:",
                "  #   ANTHROPIC_BASE_URL=" + base + " ANTHROPIC_API_KEY=any ANTHROPIC_MODEL=claude claude",
                "  curl -sN " + base + "/v1/messages -H 'content-type: application/json' -H 'anthropic-version: 2023-06-01' -d "
                        + "'{\"model\":\"claude\",\"max_tokens\":256,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}'",
                "  # metrics",
                "  curl -s " + base + "/metrics | grep detour_",
                "");
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            fail(flag + " needs a value");
        }
        return args[i];
    }

    private static void fail(String message) {
        System.err.println(message);
        System.exit(2);
    }
}
