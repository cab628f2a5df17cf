package dev.detour.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Who a side-by-side scenario measures: the upstream called directly (the floor), then Detour (or
 * the external {@code --target URL}), then the peers named on the command line; and the processes
 * whose CPU and memory are reported.
 */
final class Entrants implements AutoCloseable {

    /** The upstream called directly, or null when there is none to call. */
    final Peer direct;
    /** Detour (or the external target) first, then the named peers. */
    final List<Peer> targets;
    /** Processes reported per series, by name. */
    final Map<String, ProcessStats> processes;
    /** Detour when the benchmark started it, else null. */
    final DetourUnderTest detour;

    private Entrants(Peer direct, List<Peer> targets, Map<String, ProcessStats> processes, DetourUnderTest detour) {
        this.direct = direct;
        this.targets = List.copyOf(targets);
        this.processes = processes;
        this.detour = detour;
    }

    /** Starts Detour unless {@code --target URL} names another router; {@code withPeers} adds the named peers. */
    static Entrants open(Options options, boolean withPeers) {
        Lineup lineup = options.lineup();
        DetourUnderTest detour = options.target() == null ? DetourUnderTest.start(options) : null;
        List<Peer> targets = new ArrayList<>();
        targets.add(detour != null ? new Peer(Peer.DETOUR, detour.url, lineup.headers(Peer.DETOUR))
                : new Peer("target", options.target(), lineup.headers("target")));
        if (withPeers) {
            lineup.peers().forEach(peer -> targets.add(new Peer(peer.name(), peer.url(), lineup.headers(peer.name()))));
        }
        String directUrl = options.direct() != null ? options.direct() : detour != null ? detour.upstreamUrl : null;
        Peer direct = directUrl == null ? null : new Peer(Peer.DIRECT, directUrl, lineup.headers(Peer.DIRECT));
        Map<String, ProcessStats> processes = new LinkedHashMap<>();
        if (ProcessStats.available()) {
            if (detour != null) {
                processes.putAll(detour.processes);
            } else {
                processes.put("generator", ProcessStats.self());
            }
            lineup.watch().forEach((name, pids) -> processes.put(name, new ProcessStats(pids)));
        }
        return new Entrants(direct, targets, processes, detour);
    }

    /** Direct (when there is one), then the targets: the series of a side-by-side run, in turn order. */
    List<Peer> all() {
        List<Peer> all = new ArrayList<>();
        if (direct != null) {
            all.add(direct);
        }
        all.addAll(targets);
        return all;
    }

    /** How the servers run, for the report's notes. */
    String layout() {
        return detour != null ? detour.layout : "external target " + targets.get(0).url()
                + (direct == null ? "" : ", direct " + direct.url());
    }

    @Override
    public void close() {
        if (detour != null) {
            detour.close();
        }
    }
}
