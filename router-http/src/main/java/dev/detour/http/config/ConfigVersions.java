package dev.detour.http.config;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * The numbered versions of the running configuration: the first one, each accepted reload and each
 * rollback. A bad reload throws and leaves the current version running. Thread-safe: {@link #current()}
 * reads without locking; changes are serialized and listeners hear of them in order.
 */
public final class ConfigVersions {

    private static final Logger log = Loggers.getLogger(ConfigVersions.class);

    /**
     * One version.
     *
     * @param number   its number: 1 for the first, then one more per change
     * @param loadedAt when it was made
     * @param source   where it came from: a file name, {@code admin}, or {@code rollback to vN}
     * @param sha256   the first 12 hex digits of the SHA-256 of its YAML text (for a version built in
     *                 code, of the config's {@code toString()})
     * @param config   the configuration
     */
    public record Version(int number, Instant loadedAt, String source, String sha256, GatewayConfig config) {

        /** Checks that every component is set. */
        public Version {
            Objects.requireNonNull(loadedAt, "loadedAt");
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(sha256, "sha256");
            Objects.requireNonNull(config, "config");
        }
    }

    /** A version with the text it was parsed from, null when it was built in code. */
    private record Entry(Version version, String text) {
    }

    private final List<Entry> entries = new ArrayList<>();
    private final List<Consumer<Version>> listeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<GatewayConfig>> checks = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile Entry current;

    /** Versions starting with {@code initial}, built in code or parsed earlier, as version 1. */
    public ConfigVersions(GatewayConfig initial, String source) {
        this(initial, source, null);
    }

    private ConfigVersions(GatewayConfig initial, String source, String text) {
        Objects.requireNonNull(initial, "initial");
        Objects.requireNonNull(source, "source");
        Entry first = new Entry(new Version(1, Instant.now(), source,
                sha256(text != null ? text : initial.toString()), initial), text);
        entries.add(first);
        current = first;
    }

    /**
     * Versions starting with {@code yamlText} as version 1, kept so that offering the same text again
     * makes no new version.
     *
     * @throws ConfigException when the text has problems
     */
    public static ConfigVersions parse(String yamlText, String source) {
        return new ConfigVersions(ConfigLoader.parse(yamlText, source), source, yamlText);
    }

    /**
     * Versions starting with {@code file}'s content as version 1, named by its file name. Blocks on
     * file I/O: call it off the event loop.
     *
     * @throws ConfigException when the file cannot be read or has problems
     */
    public static ConfigVersions load(Path file) {
        return parse(ConfigLoader.read(file), ConfigLoader.sourceOf(file));
    }

    /** The version in force. */
    public Version current() {
        return current.version();
    }

    /** Every version, oldest first. */
    public synchronized List<Version> all() {
        return entries.stream().map(Entry::version).toList();
    }

    /**
     * Parses {@code yamlText} and, when it is good, makes it the current version and tells the
     * listeners. Text identical to the current version's (or, for a version built in code, a
     * configuration equal to it) makes no new version: the current one is returned.
     *
     * @param source where the text came from, named in messages and in the version
     * @throws ConfigException listing the text's problems; the current version stays
     */
    public Version offer(String yamlText, String source) {
        Objects.requireNonNull(yamlText, "yamlText");
        Objects.requireNonNull(source, "source");
        GatewayConfig config = ConfigLoader.parse(yamlText, source);
        synchronized (this) {
            Entry now = current;
            boolean same = now.text() != null ? now.text().equals(yamlText) : now.version().config().equals(config);
            if (same) {
                return now.version();
            }
            return add(source, sha256(yamlText), config, yamlText);
        }
    }

    /**
     * Makes version {@code number} current again, as a new version whose source is
     * {@code rollback to vN}, and tells the listeners. Rolling back to the current version changes
     * nothing and returns it.
     *
     * @throws IllegalArgumentException naming the known version numbers when there is no such version
     */
    public synchronized Version rollback(int number) {
        Entry target = entries.stream().filter(e -> e.version().number() == number).findFirst().orElse(null);
        if (target == null) {
            throw new IllegalArgumentException("no config version " + number + " (known: "
                    + entries.stream().map(e -> String.valueOf(e.version().number())).collect(Collectors.joining(", "))
                    + ")");
        }
        if (target == current) {
            return target.version();
        }
        return add("rollback to v" + number, target.version().sha256(), target.version().config(), target.text());
    }

    /**
     * Adds a check every configuration must pass before it becomes current (by offer or rollback),
     * for what parsing cannot know (e.g. that the keys it names are set). A check that throws refuses
     * the configuration: the caller gets a {@link ConfigException} with its message, and the current
     * version stays.
     */
    public void check(Consumer<GatewayConfig> check) {
        checks.add(Objects.requireNonNull(check, "check"));
    }

    /**
     * Calls {@code listener} with each new current version, after it is in force, in order. Listeners
     * run on the thread that made the change, while further changes wait: keep them short and
     * non-blocking. A listener that throws is logged and does not stop the others.
     */
    public void onChange(Consumer<Version> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    private Version add(String source, String sha256, GatewayConfig config, String text) {
        for (Consumer<GatewayConfig> check : checks) {
            try {
                check.accept(config);
            } catch (ConfigException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new ConfigException(source + ": " + e.getMessage());
            }
        }
        Version version = new Version(entries.size() + 1, Instant.now(), source, sha256, config);
        Entry entry = new Entry(version, text);
        entries.add(entry);
        current = entry;
        for (Consumer<Version> listener : listeners) {
            try {
                listener.accept(version);
            } catch (RuntimeException e) {
                log.warn("config version listener failed on version {}", version.number(), e);
            }
        }
        return version;
    }

    private static String sha256(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
