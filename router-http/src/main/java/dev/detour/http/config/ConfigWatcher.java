package dev.detour.http.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * Reloads a configuration file when it changes. Every interval it looks at the file's last-modified
 * time and size, on {@link Schedulers#boundedElastic()} (never on an event loop); when they changed
 * it reads the file and {@linkplain ConfigVersions#offer offers} it. A file that cannot be read or
 * has problems is reported to the failure consumer, once per change, and the running configuration
 * stays.
 *
 * <p>The first look offers the file as it is, so a change made between loading it and starting the
 * watcher is not missed; unchanged content makes no new version.
 *
 * <pre>{@code
 * Disposable watching = new ConfigWatcher(file, versions,
 *         failure -> log.warn("reload failed, keeping the running config:\n{}", failure.getMessage())).start();
 * }</pre>
 */
public final class ConfigWatcher {

    /** The interval unless given. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(1);

    private static final Logger log = Loggers.getLogger(ConfigWatcher.class);

    private final Path file;
    private final String source;
    private final ConfigVersions versions;
    private final Duration interval;
    private final Consumer<ConfigException> onFailure;

    /** A watcher of {@code file} that looks every second. */
    public ConfigWatcher(Path file, ConfigVersions versions, Consumer<ConfigException> onFailure) {
        this(file, versions, DEFAULT_INTERVAL, onFailure);
    }

    /**
     * A watcher of {@code file} that looks every {@code interval}.
     *
     * @param onFailure told why a changed file was not taken; called on a bounded-elastic thread
     * @throws IllegalArgumentException if {@code interval} is not positive
     */
    public ConfigWatcher(Path file, ConfigVersions versions, Duration interval, Consumer<ConfigException> onFailure) {
        this.file = Objects.requireNonNull(file, "file");
        this.versions = Objects.requireNonNull(versions, "versions");
        this.interval = Objects.requireNonNull(interval, "interval");
        this.onFailure = Objects.requireNonNull(onFailure, "onFailure");
        if (interval.isZero() || interval.isNegative()) {
            throw new IllegalArgumentException("watch interval must be positive, was " + interval);
        }
        this.source = ConfigLoader.sourceOf(file);
    }

    /**
     * Starts watching, first look at once. Each call starts an independent watch; dispose the result
     * to stop it.
     */
    public Disposable start() {
        return Flux.defer(() -> {
                    Poll poll = new Poll();
                    return Flux.interval(Duration.ZERO, interval, Schedulers.boundedElastic())
                            .onBackpressureDrop()
                            .doOnNext(tick -> poll.look());
                })
                .subscribe(null, error -> log.error("config watcher of {} stopped", file, error));
    }

    /** What one look saw: the file's time and size, or why they could not be read. */
    private record Stamp(FileTime modified, long size, String error) {
    }

    /** The state of one watch; looks never overlap. */
    private final class Poll {

        private Stamp last;

        void look() {
            try {
                Stamp now = stamp();
                if (now.equals(last)) {
                    return;
                }
                last = now;
                if (now.error() != null) {
                    report(new ConfigException(source + ": cannot read " + file + ": " + now.error()
                            + " (the running configuration stays)"));
                    return;
                }
                versions.offer(ConfigLoader.read(file), source);
            } catch (ConfigException e) {
                report(e);
            } catch (RuntimeException e) {
                log.error("config watcher of {} failed to reload", file, e);
            }
        }

        private Stamp stamp() {
            try {
                BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
                return new Stamp(attributes.lastModifiedTime(), attributes.size(), null);
            } catch (NoSuchFileException e) {
                return new Stamp(null, -1, "no such file");
            } catch (IOException e) {
                return new Stamp(null, -1, e.toString());
            }
        }

        private void report(ConfigException failure) {
            try {
                onFailure.accept(failure);
            } catch (RuntimeException e) {
                log.error("config watcher's failure consumer threw", e);
            }
        }
    }
}
