package dev.detour.bench;

import io.netty.handler.codec.http.HttpHeaderNames;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.PrematureCloseException;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;

/**
 * An open-loop HTTP load generator on Reactor Netty's {@link HttpClient}.
 *
 * <p><b>Scheduling.</b> One dedicated platform thread ({@code bench-scheduler}, not a Reactor or Netty
 * thread) walks the {@link Arrivals} schedule: for request {@code i} it computes the intended send time
 * {@code start + offset(i)} on {@link System#nanoTime()}, parks until shortly before it and spins the
 * last few tens of microseconds, then fires the request without blocking (a subscribe that hands the
 * exchange to the client's event loops) and moves on. A slow answer never holds the next request back;
 * a scheduler that falls behind (a GC pause, a busy core) fires the overdue requests at once, and their
 * lateness is counted in their latency. Why a plain thread rather than {@code Schedulers.single()}:
 * Reactor's timers have millisecond-ish granularity and would put a timer task per request on a
 * shared scheduler, while parking one thread until a {@code nanoTime} deadline gives tens of
 * microseconds of precision, keeps the schedule a pure function of the start time, and is allowed to
 * block (BlockHound only guards Reactor's and Netty's threads).
 *
 * <p><b>Measuring.</b> Each request's latency is measured from its <em>intended</em> send time, not from
 * the moment it got a connection, so a stall of the server shows up in every request queued behind it
 * (no coordinated omission). The time from the moment the request was written to a connection is
 * kept as well ("service time": what a closed-loop tool would report). Values go into HdrHistogram
 * {@link org.HdrHistogram.Recorder}s (wait-free for the event loops that record), in microseconds up to
 * 60 s with 3 significant digits. Requests due during the warm-up are sent but not recorded.
 *
 * <p>The client has its own connection pool and event loops, so it does not share threads with a
 * router or simulator running in the same JVM.
 */
public final class LoadGenerator implements AutoCloseable {

    /** The highest latency the histograms hold, in microseconds (60 s); longer values are clamped. */
    public static final long HIGHEST_MICROS = 60_000_000L;

    private static final long SPIN_NANOS = 60_000;

    private final ConnectionProvider pool;
    private final LoopResources loops;
    private final HttpClient client;
    private final Duration timeout;
    private final PrintStream progress;

    /**
     * A generator with at most {@code connections} connections per target, giving each request
     * {@code timeout} to complete, printing a progress line to {@code progress} (null for none).
     */
    public LoadGenerator(int connections, Duration timeout, PrintStream progress) {
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.progress = progress;
        this.pool = ConnectionProvider.builder("bench-client")
                .maxConnections(connections)
                .pendingAcquireMaxCount(-1)
                .pendingAcquireTimeout(timeout)
                .maxIdleTime(Duration.ofSeconds(30))
                .build();
        this.loops = LoopResources.create("bench-client", Math.max(1, Runtime.getRuntime().availableProcessors()), true);
        this.client = HttpClient.create(pool)
                .runOn(loops)
                .keepAlive(true)
                .headers(headers -> headers.set(HttpHeaderNames.CONTENT_TYPE, "application/json"));
    }

    /**
     * A kind of request: a POST of {@code body} to {@code url} with {@code headers}; a {@code stream}
     * answer is read as server-sent events.
     */
    public record Target(String url, byte[] body, boolean stream, Map<String, String> headers) {

        public Target {
            headers = Map.copyOf(headers);
        }

        /** A target without headers of its own. */
        public Target(String url, byte[] body, boolean stream) {
            this(url, body, stream, Map.of());
        }

        /** An OpenAI chat completion for {@code model} at {@code baseUrl + "/v1/chat/completions"}. */
        public static Target chat(String baseUrl, String model, boolean stream) {
            String body = "{\"model\":\"" + model + "\",\"stream\":" + stream
                    + ",\"messages\":[{\"role\":\"user\",\"content\":\"How far is it to the next town?\"}]}";
            return new Target(baseUrl + "/v1/chat/completions", body.getBytes(StandardCharsets.UTF_8), stream);
        }

        /** This target, sending {@code more} headers too. */
        public Target withHeaders(Map<String, String> more) {
            Map<String, String> all = new LinkedHashMap<>(headers);
            all.putAll(more);
            return new Target(url, body, stream, all);
        }
    }

    /** One run: {@code label} for the progress line, what to send, when, and for how long (warm-up first). */
    public record Plan(String label, Target target, Arrivals arrivals, Duration warmup, Duration duration) {
    }

    /** Called on the thread that called {@link #run} about every millisecond while a run goes on, e.g. to inject a fault. */
    @FunctionalInterface
    public interface Control {

        /** Nothing to do. */
        Control NONE = (run, elapsedNanos) -> { };

        /** {@code elapsedNanos} since the run's start (the warm-up included). */
        void tick(Run run, long elapsedNanos);
    }

    /** Runs {@code plan} to its end, waits for the answers still due (up to the request timeout) and returns the run. */
    public Run run(Plan plan, Control control) {
        long start = System.nanoTime() + 20_000_000L;
        Run run = new Run(plan, start);
        Thread scheduler = new Thread(() -> schedule(run, plan), "bench-scheduler");
        scheduler.setDaemon(true);
        scheduler.start();
        long nextProgress = start;
        long drainDeadline = 0;
        while (true) {
            long now = System.nanoTime();
            if (now >= start) {
                control.tick(run, now - start);
            }
            if (progress != null && now >= nextProgress) {
                printProgress(run, now);
                nextProgress = now + 1_000_000_000L;
            }
            if (!scheduler.isAlive()) {
                if (run.inFlight() == 0) {
                    break;
                }
                if (drainDeadline == 0) {
                    drainDeadline = now + timeout.toNanos() + 2_000_000_000L;
                } else if (now > drainDeadline) {
                    break;
                }
            }
            LockSupport.parkNanos(1_000_000L);
        }
        if (progress != null) {
            printProgress(run, System.nanoTime());
            progress.println();
            progress.flush();
        }
        run.finish();
        return run;
    }

    private void printProgress(Run run, long now) {
        double elapsed = Math.max(0, now - run.start()) / 1e9;
        double total = (run.end() - run.start()) / 1e9;
        progress.printf(Locale.ROOT, "\r[%s] %5.1f/%.1f s  sent %d  answered %d  in flight %d  errors %d   ",
                run.label(), Math.min(elapsed, total), total, run.sentTotal(), run.answeredTotal(), run.inFlight(),
                run.errorsTotal());
        progress.flush();
    }

    private void schedule(Run run, Plan plan) {
        Arrivals arrivals = plan.arrivals();
        while (true) {
            long intended = run.start() + arrivals.next();
            if (intended - run.end() >= 0) {
                return;
            }
            waitUntil(intended);
            long fired = System.nanoTime();
            Phase phase = intended - run.measureStart() < 0 ? run.warmupPhase() : run.current();
            fire(run, phase, plan.target(), intended, fired);
        }
    }

    /** Parks until shortly before {@code deadline}, then spins: parking alone overshoots by the timer slack. */
    static void waitUntil(long deadline) {
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            if (left > SPIN_NANOS) {
                LockSupport.parkNanos(left - SPIN_NANOS);
            } else {
                Thread.onSpinWait();
            }
        }
    }

    private void fire(Run run, Phase phase, Target target, long intended, long fired) {
        Exchange exchange = new Exchange(run, phase, intended, target.stream());
        run.sent(phase, fired - intended);
        byte[] body = target.body();
        client.post()
                .uri(target.url())
                .send((request, out) -> {
                    exchange.wire = System.nanoTime();
                    request.header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(body.length));
                    target.headers().forEach(request::header);
                    return out.sendByteArray(Mono.just(body));
                })
                .response((response, content) -> {
                    int status = response.status().code();
                    if (target.stream() && status == 200) {
                        return content.asString(StandardCharsets.UTF_8).doOnNext(exchange::chunk).then(Mono.just(status));
                    }
                    return content.then(Mono.just(status));
                })
                .single()
                .timeout(timeout)
                .subscribe(exchange::answered, exchange::failed);
    }

    /** What went wrong with a request, as reported: {@code timeout}, {@code connection}, or the exception's name. */
    static String errorKind(Throwable error) {
        if (error instanceof TimeoutException) {
            return "timeout";
        }
        if (error instanceof PrematureCloseException || error instanceof IOException) {
            return "connection";
        }
        String name = error.getClass().getSimpleName();
        if (name.contains("PoolAcquire")) {
            return "pool";
        }
        return error.getCause() != null && error.getCause() != error ? errorKind(error.getCause()) : name;
    }

    /** Where the progress line goes, or null. */
    PrintStream progress() {
        return progress;
    }

    /**
     * Closes the connections open to the server at {@code url}, as clients do with idle ones: a warm-up that
     * ends so has the server's JIT see connections close before the measured turns, not during them.
     */
    void closeConnections(String url) {
        URI uri = URI.create(url);
        pool.disposeWhen(InetSocketAddress.createUnresolved(uri.getHost(), uri.getPort()));
    }

    /** Closes the connection pool and the event loops; call it from a main or test thread. */
    @Override
    public void close() {
        pool.disposeLater().block(Duration.ofSeconds(10));
        loops.disposeLater(Duration.ZERO, Duration.ofSeconds(2)).block(Duration.ofSeconds(10));
    }

    /** One request in flight. Its callbacks run on the client's event loops and never block. */
    private static final class Exchange {

        private final Run run;
        private final Phase phase;
        private final long intended;
        private final boolean stream;
        volatile long wire;
        private long lastToken;
        private boolean done;
        private String tail = "";

        Exchange(Run run, Phase phase, long intended, boolean stream) {
            this.run = run;
            this.phase = phase;
            this.intended = intended;
            this.stream = stream;
        }

        void chunk(String text) {
            long now = System.nanoTime();
            if (text.contains("\"content\"")) {
                if (lastToken == 0) {
                    phase.ttft(now - intended);
                } else {
                    phase.gap(now - lastToken);
                }
                lastToken = now;
            }
            String seen = tail + text;
            if (seen.contains("[DONE]")) {
                done = true;
            }
            tail = seen.length() > 8 ? seen.substring(seen.length() - 8) : seen;
        }

        void answered(int status) {
            long now = System.nanoTime();
            if (status == 200 && (!stream || done)) {
                phase.ok(now - intended, now - (wire == 0 ? intended : wire));
                run.answered(false);
            } else {
                phase.error(status == 200 ? "stream cut" : "status " + status);
                run.answered(true);
            }
        }

        void failed(Throwable error) {
            phase.error(errorKind(error));
            run.answered(true);
        }
    }
}
