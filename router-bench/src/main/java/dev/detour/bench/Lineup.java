package dev.detour.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What the side-by-side scenarios measure and how: the peers named on the command line, the
 * reference their figures are divided by, how the series take turns, and how Detour is run.
 *
 * @param peers     servers named with {@code --target NAME=URL}, in order; Detour comes before them
 * @param headers   request headers by peer name ({@code --header NAME:Header=value}), {@code detour} and {@code direct} included
 * @param reference the peer whose added latency the others are divided by, or null
 * @param slice     how long one turn of one series lasts; series take turns A B C A B C …
 * @param inProcess Detour and the simulator run in the generator's JVM instead of two processes
 * @param upstream  an upstream already running that Detour (and {@code direct}) should call, or null to start one
 * @param routerJar the router's jar, or null to find {@code router-http/target/router-http.jar}
 * @param watch     more processes to report CPU and memory of, by name ({@code --watch NAME=PID[,PID…]})
 */
public record Lineup(List<Peer> peers, Map<String, Map<String, String>> headers, String reference, Duration slice,
                     boolean inProcess, String upstream, Path routerJar, Map<String, List<Long>> watch) {

    /** No peers, 5 s turns, Detour in its own JVM with its own upstream. */
    public static final Lineup DEFAULT = new Lineup(List.of(), Map.of(), null, Duration.ofSeconds(5), false, null, null,
            Map.of());

    public Lineup {
        peers = List.copyOf(peers);
        headers = Map.copyOf(headers);
        watch = Map.copyOf(watch);
    }

    /** The headers for the peer called {@code name}: none unless given. */
    Map<String, String> headers(String name) {
        return headers.getOrDefault(name, Map.of());
    }
}
