package dev.detour.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The command line: {@code [scenario …] [--rate R] [--duration D] [--warmup W] [--out DIR]
 * [--target [NAME=]URL …] [--direct URL] [--poisson] [--seed N] [--steps N] [--connections N] [--timeout D]}
 * and the side-by-side options of {@link Lineup}.
 *
 * @param scenarios   the scenarios to run, in order
 * @param rate        requests per second offered
 * @param duration    how long each series is measured
 * @param warmup      how long each series runs before measuring
 * @param out         where the report, JSON and charts go
 * @param target      an external router's base URL to measure instead of Detour ({@code --target URL}), or null
 * @param direct      an external provider's base URL to compare against, or null
 * @param poisson     Poisson arrivals instead of a fixed rate
 * @param seed        the seed of Poisson arrivals and of the simulator
 * @param steps       the most rate steps of {@code max-rate}
 * @param connections the generator's connection pool size
 * @param timeout     each request's timeout
 * @param lineup      the peers measured side by side with Detour, and how Detour runs
 * @param soak        how long the {@code soak} scenario runs
 */
public record Options(List<String> scenarios, double rate, Duration duration, Duration warmup, Path out, String target,
                      String direct, boolean poisson, long seed, int steps, int connections, Duration timeout,
                      Lineup lineup, Duration soak) {

    /** Every scenario, in the order they run. */
    public static final List<String> ALL = List.of("overhead", "hedging", "outage", "streaming", "max-rate", "brownout",
            "rate-limited", "library", "tracing", "fleet", "soak");
    /** The scenarios run when none is named. */
    public static final List<String> DEFAULT = List.of("overhead", "hedging", "outage", "streaming");

    static final String USAGE = """
            usage: java -jar router-bench.jar [scenario ...] [--rate R] [--duration D] [--warmup W] [--out DIR]
                   [--target [NAME=]URL ...] [--header NAME:Header=value ...] [--reference NAME] [--slice D]
                   [--direct URL] [--upstream URL] [--in-process] [--router-jar JAR] [--watch NAME=PID[,PID]]
                   [--soak D] [--poisson] [--seed N] [--steps N] [--connections N] [--timeout D]
              scenarios: overhead hedging outage streaming max-rate brownout rate-limited library tracing fleet soak, or all
                         (default: overhead hedging outage streaming)
              --rate R         requests per second (default 200; max-rate starts there, x1.25 per step held)
              --duration D     measured time per series, e.g. 20s, 500ms, 1m (default 10s)
              --warmup W       unmeasured time before each series (default 3s)
              --out DIR        report.md, report.json and one SVG per scenario (default target/bench-report)
              --target URL     measure this router (OpenAI API, model 'bench') instead of Detour
              --target N=URL   measure this peer too, side by side with Detour (repeatable)
              --header N:H=V   send header H: V with each request to peer N (detour, direct or a --target name)
              --reference N    divide each peer's added latency by N's (e.g. nginx)
              --slice D        series take turns of D, A B C A B C ... (default 5s)
              --direct URL     the upstream called directly (default: the upstream Detour calls)
              --upstream URL   an upstream already running, for Detour and direct (default: start a simulator)
              --in-process     run Detour and the simulator in this JVM instead of two processes
              --router-jar JAR the router's jar (default router-http/target/router-http.jar)
              --watch N=PID    report CPU and memory of these processes as N (e.g. a peer's workers)
              --soak D         how long the soak scenario runs (default 10m)
              --poisson        Poisson arrivals instead of a fixed rate
            exit status: 0 done, 1 a scenario could not run, 2 a bad command line, 3 a soak bound was exceeded
            """;

    /** Parses {@code args}; throws IllegalArgumentException with a message for the user. */
    public static Options parse(String... args) {
        List<String> scenarios = new ArrayList<>();
        double rate = 200;
        Duration duration = Duration.ofSeconds(10);
        Duration warmup = Duration.ofSeconds(3);
        Path out = Path.of("target", "bench-report");
        String target = null;
        String direct = null;
        boolean poisson = false;
        long seed = 42;
        int steps = 16;
        List<Peer> peers = new ArrayList<>();
        Map<String, Map<String, String>> headers = new LinkedHashMap<>();
        Map<String, List<Long>> watch = new LinkedHashMap<>();
        String reference = null;
        Duration slice = Lineup.DEFAULT.slice();
        boolean inProcess = false;
        String upstream = null;
        Path routerJar = null;
        Duration soak = Duration.ofMinutes(10);
        int connections = 512;
        Duration timeout = Duration.ofSeconds(10);
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                if (arg.equals("all")) {
                    scenarios.addAll(ALL);
                } else if (ALL.contains(arg)) {
                    scenarios.add(arg);
                } else {
                    throw new IllegalArgumentException("unknown scenario '" + arg + "' (known: " + String.join(", ", ALL) + ")");
                }
                continue;
            }
            if (arg.equals("--poisson") || arg.equals("--in-process")) {
                poisson |= arg.equals("--poisson");
                inProcess |= arg.equals("--in-process");
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(arg + " needs a value");
            }
            String value = args[++i];
            try {
                switch (arg) {
                    case "--rate" -> rate = positive(Double.parseDouble(value), arg);
                    case "--duration" -> duration = duration(value);
                    case "--warmup" -> warmup = duration(value);
                    case "--out" -> out = Path.of(value);
                    case "--target" -> {
                        Peer peer = peer(value);
                        if (peer == null) {
                            target = url(value);
                        } else {
                            peers.add(peer);
                        }
                    }
                    case "--header" -> header(value, headers);
                    case "--reference" -> reference = value;
                    case "--slice" -> slice = positive(duration(value), arg);
                    case "--upstream" -> upstream = url(value);
                    case "--router-jar" -> routerJar = Path.of(value);
                    case "--watch" -> watch(value, watch);
                    case "--soak" -> soak = positive(duration(value), arg);
                    case "--direct" -> direct = url(value);
                    case "--seed" -> seed = Long.parseLong(value);
                    case "--steps" -> steps = (int) positive(Integer.parseInt(value), arg);
                    case "--connections" -> connections = (int) positive(Integer.parseInt(value), arg);
                    case "--timeout" -> timeout = duration(value);
                    default -> throw new IllegalArgumentException("unknown option " + arg);
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(arg + ": '" + value + "' is not a number");
            }
        }
        if (duration.isZero()) {
            throw new IllegalArgumentException("--duration must be positive");
        }
        Lineup lineup = new Lineup(peers, headers, reference, slice, inProcess, upstream, routerJar, watch);
        checkNames(lineup, target);
        return new Options(scenarios.isEmpty() ? DEFAULT : List.copyOf(scenarios), rate, duration, warmup, out, target,
                direct, poisson, seed, steps, connections, timeout, lineup, soak);
    }

    /** {@code NAME=URL} as a peer; null for a bare URL. */
    private static Peer peer(String value) {
        int equals = value.indexOf('=');
        int scheme = value.indexOf("://");
        if (equals < 0 || scheme >= 0 && scheme < equals) {
            return null;
        }
        return new Peer(name(value.substring(0, equals)), url(value.substring(equals + 1)), Map.of());
    }

    private static String name(String name) {
        if (!name.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("'" + name + "' is not a peer name (letters, digits, '.', '_', '-')");
        }
        return name;
    }

    /** {@code NAME:Header=value}. */
    private static void header(String value, Map<String, Map<String, String>> headers) {
        int colon = value.indexOf(':');
        int equals = colon < 0 ? -1 : value.indexOf('=', colon);
        if (colon <= 0 || equals <= colon + 1) {
            throw new IllegalArgumentException("--header: '" + value + "' is not NAME:Header=value");
        }
        headers.computeIfAbsent(name(value.substring(0, colon)), k -> new LinkedHashMap<>())
                .put(value.substring(colon + 1, equals).trim(), value.substring(equals + 1));
    }

    /** {@code NAME=PID[,PID…]}. */
    private static void watch(String value, Map<String, List<Long>> watch) {
        int equals = value.indexOf('=');
        if (equals <= 0) {
            throw new IllegalArgumentException("--watch: '" + value + "' is not NAME=PID[,PID...]");
        }
        List<Long> pids = new ArrayList<>();
        for (String pid : value.substring(equals + 1).split(",")) {
            pids.add((long) positive(Long.parseLong(pid.trim()), "--watch"));
        }
        watch.put(name(value.substring(0, equals)), List.copyOf(pids));
    }

    /** Peer names are unique, and headers and the reference name a peer that is measured. */
    private static void checkNames(Lineup lineup, String target) {
        List<String> names = new ArrayList<>(List.of(target == null ? Peer.DETOUR : "target", Peer.DIRECT));
        for (Peer peer : lineup.peers()) {
            if (names.contains(peer.name())) {
                throw new IllegalArgumentException("--target: the name '" + peer.name() + "' is taken");
            }
            names.add(peer.name());
        }
        for (String name : lineup.headers().keySet()) {
            if (!names.contains(name)) {
                throw new IllegalArgumentException("--header: no peer '" + name + "' (known: " + String.join(", ", names) + ")");
            }
        }
        names.remove(Peer.DIRECT);
        if (lineup.reference() != null && !names.contains(lineup.reference())) {
            throw new IllegalArgumentException("--reference: no peer '" + lineup.reference() + "' (known: "
                    + String.join(", ", names) + ")");
        }
    }

    private static Duration positive(Duration value, String option) {
        if (value.isZero()) {
            throw new IllegalArgumentException(option + " must be positive");
        }
        return value;
    }

    private static double positive(double value, String option) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(option + " must be positive, was " + value);
        }
        return value;
    }

    private static String url(String value) {
        if (!value.startsWith("http://") && !value.startsWith("https://")) {
            throw new IllegalArgumentException("not an http(s) URL: " + value);
        }
        return value.endsWith("/") ? value.substring(0, value.length() - 1) : value;
    }

    /** Parses {@code 250ms}, {@code 20s}, {@code 2m} or a number of seconds ({@code 1.5}). */
    public static Duration duration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.endsWith("ms")) {
                return nonNegative(Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2))), text);
            }
            if (t.endsWith("s")) {
                return nonNegative(Duration.ofNanos(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1e9)), text);
            }
            if (t.endsWith("m")) {
                return nonNegative(Duration.ofNanos(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 60e9)), text);
            }
            return nonNegative(Duration.ofNanos(Math.round(Double.parseDouble(t) * 1e9)), text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (use e.g. 500ms, 20s, 1m)");
        }
    }

    private static Duration nonNegative(Duration duration, String text) {
        if (duration.isNegative()) {
            throw new IllegalArgumentException("'" + text + "' must not be negative");
        }
        return duration;
    }
}
