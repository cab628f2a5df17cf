package dev.detour.core.stream;

import java.util.ArrayList;
import java.util.List;

/**
 * What happened to one stream after its first element, for a request log: the failovers (each with
 * its trigger and the text it trimmed), the provider calls they took, and the elements skipped as
 * malformed. Filled while the stream
 * runs; read it when the stream has ended.
 */
public final class StreamReport {

    private final List<Failover> failovers = new ArrayList<>(1);
    private int skipped;
    private int calls;

    synchronized int failedOver(Failover failover) {
        failovers.add(failover);
        return failovers.size() - 1;
    }

    synchronized void settled(int index, Failover failover) {
        failovers.set(index, failover);
    }

    synchronized void called(int more) {
        calls += more;
    }

    synchronized void skip() {
        skipped++;
    }

    /**
     * The failovers, in order: each continuation asked for, with what it restated once that was decided
     * (0 for one that failed before).
     */
    public synchronized List<Failover> failovers() {
        return List.copyOf(failovers);
    }

    /** Provider calls made to continue the stream (those before its first element are in the outcome). */
    public synchronized int continuationCalls() {
        return calls;
    }

    /** Elements dropped because they were malformed. */
    public synchronized int skipped() {
        return skipped;
    }
}
