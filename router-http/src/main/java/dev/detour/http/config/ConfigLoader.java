package dev.detour.http.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads the router's YAML configuration into a {@link GatewayConfig}, checking everything it can
 * without the environment or the network, and reporting every problem at once.
 *
 * <pre>{@code
 * server: { host: 127.0.0.1, port: 8080, max-body-bytes: 1048576, shutdown-grace: 10s }
 * admin: { token-env: DETOUR_ADMIN_TOKEN }
 * client-key-envs: [DETOUR_CLIENT_KEY]
 * providers:
 *   openai:    { type: openai, base-url: https://api.openai.com/v1, api-key-env: OPENAI_API_KEY, model: gpt-4o-mini, cost-per-input-token: 0.00000015 }
 *   anthropic: { type: anthropic, base-url: https://api.anthropic.com/v1, api-key-env: ANTHROPIC_API_KEY, model: claude-3-5-haiku-latest }
 *   local:     { type: openai, base-url: http://127.0.0.1:11434/v1 }
 *   weather:   { type: http, base-url: https://api.weather.example }
 * routes:
 *   - alias: smart
 *     deadline: 30s
 *     mid-stream: continue
 *     idle-timeout: 10s
 *     validators: [nonEmpty, finishedNormally]
 *     tiers:
 *       - { providers: [openai], timeout: 5s, retry: { attempts: 2, backoff: 200ms }, hedge: { percentile: 0.95 } }
 *       - { providers: [anthropic], timeout: 8s }
 *       - { providers: [local] }
 * json-routes:
 *   - name: weather
 *     deadline: 3s
 *     last-known-good: 5m
 *     tiers: [ { providers: [weather], timeout: 2s } ]
 * }</pre>
 *
 * <p>The document is checked against the JSON Schema {@code dev/detour/http/config/detour-config.schema.json}
 * (types, ranges, required and unknown fields), then bound to the records, whose constructors build the
 * core's policies and routes: their builders state the defaults and the rules. Field names are the
 * record components' names in kebab-case ({@code max-body-bytes}) or camelCase ({@code maxBodyBytes}).
 * Durations are written {@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h} or in ISO-8601 ({@code PT5S})
 * and must be positive. Names from a fixed vocabulary (types, balances, validators, failure kinds) are
 * matched ignoring case, {@code -} and {@code _}, and stored in their documented form. A field written
 * as {@code null} (or left empty) takes its default.
 *
 * <p>A problem reads {@code source: path: what is wrong}, e.g.
 * {@code detour.yaml: routes[0].tiers[1].timeout: '5x' is not a duration (use e.g. 250ms, 5s, 2m, 1h)};
 * a YAML syntax error names its line and column. Environment variables are not read here: see
 * {@link #requiredEnvs(GatewayConfig)}.
 */
public final class ConfigLoader {

    private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build());

    private ConfigLoader() {
    }

    /**
     * Parses and checks {@code yaml}.
     *
     * @param yaml   the configuration text
     * @param source what to call it in messages, usually the file name
     * @throws ConfigException listing every problem found, in document order, one per line
     */
    public static GatewayConfig parse(String yaml, String source) {
        Objects.requireNonNull(yaml, "yaml");
        Objects.requireNonNull(source, "source");
        JsonNode root;
        try (JsonParser parser = YAML.createParser(yaml)) {
            root = YAML.readTree(parser);
            if (root != null && parser.nextToken() != null) {
                throw new ConfigException(source + ": more than one YAML document (a '---' line); "
                        + "the configuration must be a single document");
            }
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": " + syntaxError(e));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ConfigReader.read(root, source);
    }

    /**
     * Reads {@code file} (UTF-8) and parses it, naming it by its file name in messages. It blocks on
     * file I/O: call it off the event loop.
     *
     * @throws ConfigException when the file cannot be read or the configuration has problems
     */
    public static GatewayConfig load(Path file) {
        return parse(read(file), sourceOf(file));
    }

    /**
     * Every environment variable the configuration names, each once: the admin token's, the client
     * keys', then the providers' API keys, in that order. Building the gateway reads them.
     */
    public static List<String> requiredEnvs(GatewayConfig config) {
        Set<String> names = new LinkedHashSet<>();
        if (config.admin().tokenEnv() != null) {
            names.add(config.admin().tokenEnv());
        }
        config.allClientKeys().forEach(key -> names.add(key.keyEnv()));
        for (ProviderConfig provider : config.providers().values()) {
            if (provider.apiKeyEnv() != null) {
                names.add(provider.apiKeyEnv());
            }
        }
        return List.copyOf(names);
    }

    /** The name messages give {@code file}: its file name. */
    static String sourceOf(Path file) {
        Path name = file.getFileName();
        return name == null ? file.toString() : name.toString();
    }

    /** Reads {@code file} as UTF-8 text, turning failures into a one-line {@link ConfigException}. */
    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(sourceOf(file) + ": cannot read " + file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new ConfigException(sourceOf(file) + ": cannot read " + file + ": permission denied");
        } catch (CharacterCodingException e) {
            throw new ConfigException(sourceOf(file) + ": cannot read " + file + ": not UTF-8 text");
        } catch (IOException e) {
            throw new ConfigException(sourceOf(file) + ": cannot read " + file + ": " + e);
        }
    }

    private static String syntaxError(JsonProcessingException e) {
        if (e.getCause() instanceof MarkedYAMLException yaml && yaml.getProblemMark() != null) {
            String message = "invalid YAML: " + oneLine(yaml.getProblem());
            if (yaml.getContext() != null && yaml.getContextMark() != null) {
                message += " (" + oneLine(yaml.getContext()) + " started at " + where(yaml.getContextMark()) + ")";
            }
            return where(yaml.getProblemMark()) + ": " + message;
        }
        JsonLocation location = e.getLocation();
        String original = oneLine(e.getOriginalMessage());
        String line = location == null || location.getLineNr() < 1 ? "" : "line " + location.getLineNr();
        if (original.startsWith("Duplicate field ")) {
            return line + ": invalid YAML: key " + original.substring("Duplicate field ".length())
                    + " is given twice in the same mapping";
        }
        String column = location == null || location.getColumnNr() < 1 ? "" : ", column " + location.getColumnNr();
        return line + column + ": invalid YAML: " + original;
    }

    private static String where(Mark mark) {
        return "line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1);
    }

    private static String oneLine(String text) {
        return text == null ? "" : text.replaceAll("\\s*\\R\\s*", " ").trim();
    }
}
