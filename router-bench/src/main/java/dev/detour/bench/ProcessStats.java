package dev.detour.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.ToLongFunction;
import java.util.stream.Stream;

/**
 * What Linux says of a set of processes (e.g. nginx's master and workers), read from {@code /proc}:
 * CPU time used ({@code utime + stime} of {@code /proc/PID/stat}), resident memory ({@code VmRSS}
 * of {@code /proc/PID/status}) and open file descriptors (the entries of {@code /proc/PID/fd}).
 * Figures are sums over the processes; one that has exited counts nothing.
 *
 * @param pids the processes
 */
public record ProcessStats(List<Long> pids) {

    /** Clock ticks per second of {@code /proc/PID/stat} ({@code USER_HZ}: 100 on every mainstream Linux). */
    static final double TICKS_PER_SECOND = 100;

    public ProcessStats {
        pids = List.copyOf(pids);
    }

    /** This JVM. */
    static ProcessStats self() {
        return new ProcessStats(List.of(ProcessHandle.current().pid()));
    }

    /** Whether {@code /proc} can be read here (Linux). */
    static boolean available() {
        return Files.isReadable(Path.of("/proc/self/stat"));
    }

    /** CPU time used so far, in seconds, user and system. */
    double cpuSeconds() {
        return sum("stat", ProcessStats::cpuTicks) / TICKS_PER_SECOND;
    }

    /** {@code utime + stime} of a {@code /proc/PID/stat} line; the command name may hold spaces and parentheses. */
    static long cpuTicks(String stat) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    /** Resident memory, in bytes. */
    long rssBytes() {
        return sum("status", ProcessStats::rssKb) * 1024;
    }

    /** The {@code VmRSS} of a {@code /proc/PID/status} text, in kB (0 when absent, e.g. a zombie). */
    static long rssKb(String status) {
        for (String line : status.split("\n")) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.substring(6).replace("kB", "").trim());
            }
        }
        return 0;
    }

    /** Open file descriptors. */
    long openFiles() {
        long count = 0;
        for (long pid : pids) {
            try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
                count += fds.count();
            } catch (NoSuchFileException e) {
                // exited
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return count;
    }

    /** {@code figure} of each process's {@code /proc/PID/file}, summed. */
    private long sum(String file, ToLongFunction<String> figure) {
        long total = 0;
        for (long pid : pids) {
            String text = read(pid, file);
            if (text != null) {
                total += figure.applyAsLong(text);
            }
        }
        return total;
    }

    private static String read(long pid, String file) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), file));
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
