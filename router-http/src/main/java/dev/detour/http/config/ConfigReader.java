package dev.detour.http.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.DoublePredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Maps a parsed YAML tree onto the config records by hand, collecting every problem with its path.
 * One instance reads one document; problems come out sorted by the position of their node in the
 * document, so they read in document order whatever order the reader visits the sections in.
 */
final class ConfigReader {

    static final String DURATION_HINT = "(use e.g. 250ms, 5s, 2m, 1h)";

    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final Pattern PATH_PREFIX = Pattern.compile("(/[A-Za-z0-9._~-]+)+");
    private static final List<String> RESERVED_PATHS = List.of("/v1", "/routes", "/metrics", "/healthz", "/readyz");
    private static final String ENV_NAME_RULE = "letters, digits and _, not starting with a digit";
    private static final String NAME_RULE = "letters, digits, '.', '_' and '-', starting with a letter or digit";

    private static final List<String> ROOT_FIELDS =
            List.of("server", "admin", "client-key-envs", "breaker", "providers", "routes", "json-routes");
    private static final List<String> SERVER_FIELDS =
            List.of("host", "port", "max-body-bytes", "shutdown-grace", "propagate-headers", "max-in-flight");
    private static final List<String> ADMIN_FIELDS = List.of("token-env", "path-prefix");
    private static final List<String> BREAKER_FIELDS = List.of("window", "minimum-calls", "failure-rate",
            "open-for", "half-open-probes", "slow-call", "slow-call-rate");
    private static final List<String> PROVIDER_FIELDS = List.of("type", "base-url", "api-key-env", "model",
            "weight", "cost-per-call", "cost-per-input-token", "cost-per-output-token", "max-connections",
            "max-idle-time", "headers", "continuation");
    private static final List<String> ROUTE_FIELDS = List.of("alias", "deadline", "tiers", "mid-stream",
            "idle-timeout", "validators", "confidence-floor", "best-effort", "max-attempts", "max-cost",
            "last-known-good", "default-answer", "fallback-on", "on-context-window", "empty-answers",
            "stream-deadline", "failover-marker", "malformed-events");
    private static final List<String> JSON_ROUTE_FIELDS =
            List.of("name", "deadline", "tiers", "last-known-good", "default-body");
    private static final List<String> TIER_FIELDS =
            List.of("providers", "timeout", "balance", "retry", "hedge", "first-token-timeout");
    private static final List<String> RETRY_FIELDS = List.of("attempts", "backoff", "max-backoff", "retry-on");
    private static final List<String> HEDGE_FIELDS = List.of("after", "percentile", "floor", "max-hedges");

    private static final List<String> PROVIDER_TYPES =
            List.of(ProviderConfig.OPENAI, ProviderConfig.ANTHROPIC, ProviderConfig.HTTP);
    private static final List<String> BALANCES = List.of(TierConfig.ORDERED, TierConfig.ROUND_ROBIN,
            TierConfig.WEIGHTED, TierConfig.LEAST_LATENCY);
    private static final List<String> MID_STREAM_MODES =
            List.of(RouteConfig.MID_STREAM_ERROR, RouteConfig.MID_STREAM_CONTINUE);
    private static final List<String> CONTINUATIONS = List.of("prefill", "instruction", "none");
    private static final List<String> MARKERS = List.of(RouteConfig.MARKER_COMMENT, RouteConfig.MARKER_CHUNK);
    private static final List<String> MALFORMED = List.of(RouteConfig.MALFORMED_SKIP, RouteConfig.MALFORMED_FAIL);
    private static final List<String> FAILURE_KINDS = List.of("timeout", "connection", "server_error",
            "rate_limited", "request_timeout", "client_error", "context_window", "content_policy", "empty", "invalid",
            "low_confidence", "unavailable", "error");
    private static final List<String> EMPTY_ANSWERS = List.of(RouteConfig.EMPTY_FALL_BACK, RouteConfig.EMPTY_ALLOW);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String source;
    private final Map<String, Integer> positions = new HashMap<>();
    private final List<Problem> problems = new ArrayList<>();
    private final Map<String, String> providerTypes = new LinkedHashMap<>();
    private boolean providersDefined;

    private record Problem(int position, int sequence, String line) {
    }

    private ConfigReader(String source) {
        this.source = source;
    }

    /**
     * Reads {@code root} (null or missing for an empty document).
     *
     * @throws ConfigException listing every problem, in document order
     */
    static GatewayConfig read(JsonNode root, String source) {
        ConfigReader reader = new ConfigReader(source);
        reader.index(root, "");
        GatewayConfig config = reader.gateway(root);
        if (!reader.problems.isEmpty()) {
            throw new ConfigException(reader.problems.stream()
                    .sorted(Comparator.comparingInt(Problem::position).thenComparingInt(Problem::sequence))
                    .map(Problem::line)
                    .toList());
        }
        return config;
    }

    // ---- sections

    private GatewayConfig gateway(JsonNode root) {
        if (root == null || root.isMissingNode() || root.isNull()) {
            problem("", "the configuration is empty (it needs at least providers)");
            return null;
        }
        Mapping m = mapping(root, "", ROOT_FIELDS);
        if (m == null) {
            return null;
        }
        Map<String, ProviderConfig> providers = providers(m);
        ServerConfig server = server(m.get("server"), m.path("server"));
        AdminConfig admin = admin(m.get("admin"), m.path("admin"));
        List<String> clientKeyEnvs = envNames(m.get("client-key-envs"), m.path("client-key-envs"));
        BreakerConfig breaker = breaker(m.get("breaker"), m.path("breaker"));
        List<RouteConfig> routes = list(m.get("routes"), m.path("routes"), "routes", this::route);
        List<JsonRouteConfig> jsonRoutes = list(m.get("json-routes"), m.path("json-routes"), "json routes", this::jsonRoute);
        if (!problems.isEmpty()) {
            return null;
        }
        return new GatewayConfig(server, admin, clientKeyEnvs, breaker, providers, routes, jsonRoutes);
    }

    private ServerConfig server(JsonNode node, String path) {
        Mapping m = optionalMapping(node, path, SERVER_FIELDS);
        if (m == null) {
            return ServerConfig.defaults();
        }
        String host = m.text("host", ServerConfig.DEFAULT_HOST);
        if (host.chars().anyMatch(Character::isWhitespace)) {
            problem(m.path("host"), "'" + host + "' is not a host name or address");
        }
        int port = m.integer("port", ServerConfig.DEFAULT_PORT, 0, 65535, "a port (0-65535)");
        long maxBodyBytes = m.whole("max-body-bytes", ServerConfig.DEFAULT_MAX_BODY_BYTES, 1, Long.MAX_VALUE,
                "a positive whole number of bytes");
        Duration grace = m.duration("shutdown-grace", ServerConfig.DEFAULT_SHUTDOWN_GRACE);
        int maxInFlight = m.integer("max-in-flight", ServerConfig.DEFAULT_MAX_IN_FLIGHT, 1, 1_000_000,
                "a positive number of requests");
        List<String> headers = ServerConfig.DEFAULT_PROPAGATE_HEADERS;
        List<Item> items = m.items("propagate-headers", "header names");
        if (items != null) {
            headers = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            for (Item item : items) {
                String header = text(item.node, item.path, "a header name");
                if (header == null) {
                    continue;
                }
                if (!HEADER_NAME.matcher(header).matches()) {
                    problem(item.path, "'" + header + "' is not a header name");
                } else if (!seen.add(header.toLowerCase(Locale.ROOT))) {
                    problem(item.path, "'" + header + "' is listed twice");
                } else {
                    headers.add(header.toLowerCase(Locale.ROOT));
                }
            }
        }
        return new ServerConfig(host, port, maxBodyBytes, grace, headers, maxInFlight);
    }

    private AdminConfig admin(JsonNode node, String path) {
        Mapping m = optionalMapping(node, path, ADMIN_FIELDS);
        if (m == null) {
            return AdminConfig.off();
        }
        String tokenEnv = m.envName("token-env");
        String prefix = m.text("path-prefix", AdminConfig.DEFAULT_PATH_PREFIX);
        if (!PATH_PREFIX.matcher(prefix).matches()) {
            problem(m.path("path-prefix"), "'" + prefix
                    + "' is not a path prefix (e.g. /admin: a leading /, no trailing /, no spaces or query)");
        } else {
            for (String reserved : RESERVED_PATHS) {
                if (prefix.equals(reserved) || prefix.startsWith(reserved + "/")) {
                    problem(m.path("path-prefix"), "'" + prefix + "' would hide the router's own " + reserved + " paths");
                }
            }
        }
        return new AdminConfig(tokenEnv, prefix);
    }

    private List<String> envNames(JsonNode node, String path) {
        List<Item> items = items(node, path, "environment variable names");
        if (items == null) {
            return List.of();
        }
        List<String> names = new ArrayList<>();
        for (Item item : items) {
            String name = envName(item.node, item.path);
            if (name != null) {
                names.add(name);
            }
        }
        return names;
    }

    private BreakerConfig breaker(JsonNode node, String path) {
        Mapping m = optionalMapping(node, path, BREAKER_FIELDS);
        BreakerConfig d = BreakerConfig.defaults();
        if (m == null) {
            return d;
        }
        int window = m.integer("window", d.window(), 1, Integer.MAX_VALUE, "a whole number >= 1");
        int minimumCalls = m.integer("minimum-calls", d.minimumCalls(), 1, Integer.MAX_VALUE, "a whole number >= 1");
        if (minimumCalls > window && m.has("minimum-calls")) {
            problem(m.path("minimum-calls"), minimumCalls + " is more than the window (" + window
                    + " calls), so the breaker could never open");
        }
        double failureRate = m.number("failure-rate", d.failureRate(), r -> r > 0 && r <= 1, "a rate (above 0, at most 1)");
        Duration openFor = m.duration("open-for", d.openFor());
        int probes = m.integer("half-open-probes", d.halfOpenProbes(), 1, Integer.MAX_VALUE, "a whole number >= 1");
        Duration slowCall = m.duration("slow-call", null);
        double slowCallRate = m.number("slow-call-rate", d.slowCallRate(), r -> r > 0 && r <= 1, "a rate (above 0, at most 1)");
        return new BreakerConfig(window, minimumCalls, failureRate, openFor, probes, slowCall, slowCallRate);
    }

    private Map<String, ProviderConfig> providers(Mapping root) {
        JsonNode node = root.get("providers");
        String path = root.path("providers");
        Map<String, ProviderConfig> providers = new LinkedHashMap<>();
        if (node == null) {
            root.missing("providers", "missing (define at least one provider)");
            return providers;
        }
        if (!node.isObject()) {
            problem(path, "expected a mapping of provider names to providers, got " + describe(node));
            return providers;
        }
        providersDefined = true;
        if (node.isEmpty()) {
            problem(path, "define at least one provider");
        }
        for (Map.Entry<String, JsonNode> entry : node.properties()) {
            String name = entry.getKey();
            String providerPath = child(path, name);
            if (!NAME.matcher(name).matches()) {
                problem(providerPath, "'" + name + "' is not a provider name (" + NAME_RULE + ")");
            }
            providerTypes.put(name, null);
            ProviderConfig provider = provider(name, entry.getValue(), providerPath);
            if (provider != null) {
                providers.put(name, provider);
            }
        }
        return providers;
    }

    private ProviderConfig provider(String name, JsonNode node, String path) {
        Mapping m = mapping(node, path, PROVIDER_FIELDS);
        if (m == null) {
            return null;
        }
        String type = m.choice("type", null, PROVIDER_TYPES, "a provider type");
        if (type == null && !m.has("type")) {
            m.missing("type", "missing (required: openai, anthropic or http)");
        }
        providerTypes.put(name, type);
        String baseUrl = m.text("base-url", null);
        if (baseUrl == null && !m.has("base-url")) {
            m.missing("base-url", "missing (required)");
        } else if (baseUrl != null && !isHttpUrl(baseUrl)) {
            problem(m.path("base-url"), "'" + baseUrl + "' is not an http(s) URL (e.g. https://api.openai.com/v1)");
        }
        String apiKeyEnv = m.envName("api-key-env");
        String model = m.text("model", null);
        double weight = m.number("weight", 1, w -> w > 0, "a weight (a number above 0)");
        double perCall = m.number("cost-per-call", 0, c -> c >= 0, "a cost (a number >= 0)");
        double perInput = m.number("cost-per-input-token", 0, c -> c >= 0, "a cost (a number >= 0)");
        double perOutput = m.number("cost-per-output-token", 0, c -> c >= 0, "a cost (a number >= 0)");
        int maxConnections = m.integer("max-connections", 256, 1, Integer.MAX_VALUE, "a whole number >= 1");
        Duration maxIdleTime = m.duration("max-idle-time", Duration.ofSeconds(30));
        Map<String, String> headers = headers(m.get("headers"), m.path("headers"));
        String continuation = m.choice("continuation", null, CONTINUATIONS, "a continuation form");
        if (continuation != null && ProviderConfig.HTTP.equals(type)) {
            problem(m.path("continuation"), "only openai and anthropic providers continue answers");
        }
        if (type == null || baseUrl == null) {
            return null;
        }
        return new ProviderConfig(name, type, baseUrl, apiKeyEnv, model, weight, perCall, perInput, perOutput,
                maxConnections, maxIdleTime, headers, continuation);
    }

    private Map<String, String> headers(JsonNode node, String path) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (node == null) {
            return headers;
        }
        if (!node.isObject()) {
            problem(path, "expected a mapping of header names to values, got " + describe(node));
            return headers;
        }
        Set<String> seen = new HashSet<>();
        for (Map.Entry<String, JsonNode> entry : node.properties()) {
            String header = entry.getKey();
            String headerPath = child(path, header);
            if (!HEADER_NAME.matcher(header).matches()) {
                problem(headerPath, "'" + header + "' is not a header name");
            } else if (!seen.add(header.toLowerCase(Locale.ROOT))) {
                problem(headerPath, "header '" + header + "' is given twice");
            }
            String value = entry.getValue().isNull() ? null : scalar(entry.getValue());
            if (value == null) {
                problem(headerPath, "expected a header value, got " + describe(entry.getValue()));
            } else if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
                problem(headerPath, "a header value cannot contain a line break");
            } else {
                headers.put(header, value);
            }
        }
        return headers;
    }

    private RouteConfig route(JsonNode node, String path, Set<String> aliases) {
        Mapping m = mapping(node, path, ROUTE_FIELDS);
        if (m == null) {
            return null;
        }
        String alias = m.requiredText("alias");
        if (alias != null && !aliases.add(alias)) {
            problem(m.path("alias"), "'" + alias + "' is used twice");
        }
        Duration deadline = m.duration("deadline", RouteConfig.DEFAULT_DEADLINE);
        List<TierConfig> tiers = tiers(m, true);
        String midStream = m.choice("mid-stream", RouteConfig.MID_STREAM_ERROR, MID_STREAM_MODES, "a mid-stream mode");
        Duration idleTimeout = m.duration("idle-timeout", RouteConfig.DEFAULT_IDLE_TIMEOUT);
        Duration streamDeadline = m.duration("stream-deadline",
                m.has("deadline") ? deadline : RouteConfig.DEFAULT_STREAM_DEADLINE);
        boolean reported = checkDeadline(m, "deadline", deadline, tiers, TierConfig::timeout, "timeout");
        String streamKey = m.has("stream-deadline") ? "stream-deadline" : "deadline";
        if (!reported || !streamKey.equals("deadline") || tiers.stream().anyMatch(t -> t.firstTokenTimeout() != null)) {
            checkDeadline(m, streamKey, streamDeadline, tiers, TierConfig::streamTimeout, "first-token timeout");
        }
        String failoverMarker = m.choice("failover-marker", RouteConfig.MARKER_COMMENT, MARKERS, "a failover marker");
        String malformedEvents = m.choice("malformed-events", RouteConfig.MALFORMED_SKIP, MALFORMED, "a malformed-events mode");
        List<String> validators = m.choices("validators", RouteConfig.VALIDATORS, "a validator");
        Double floor = m.number("confidence-floor", null, f -> f >= 0 && f <= 1, "a confidence (0 to 1)");
        boolean bestEffort = m.bool("best-effort", false);
        Integer maxAttempts = m.integer("max-attempts", null, 1, Integer.MAX_VALUE, "a whole number >= 1");
        Double maxCost = m.number("max-cost", null, c -> c >= 0, "a cost (a number >= 0)");
        Duration lastKnownGood = m.duration("last-known-good", null);
        String defaultAnswer = m.text("default-answer", null);
        List<String> fallbackOn = m.has("fallback-on") ? m.choices("fallback-on", FAILURE_KINDS, "a failure kind") : null;
        List<String> onContextWindow = contextWindowProviders(m);
        String emptyAnswers = m.choice("empty-answers", RouteConfig.EMPTY_FALL_BACK, EMPTY_ANSWERS, "an empty-answers mode");
        if (alias == null || midStream == null || emptyAnswers == null || idleTimeout == null || streamDeadline == null
                || failoverMarker == null || malformedEvents == null) {
            return null;
        }
        return new RouteConfig(alias, deadline, tiers, midStream, idleTimeout, validators == null ? List.of() : validators,
                floor, bestEffort, maxAttempts, maxCost, lastKnownGood, defaultAnswer, fallbackOn, onContextWindow,
                emptyAnswers, streamDeadline, failoverMarker, malformedEvents);
    }

    private List<String> contextWindowProviders(Mapping route) {
        List<Item> items = route.items("on-context-window", "provider names");
        if (items == null) {
            return List.of();
        }
        if (items.isEmpty()) {
            problem(route.path("on-context-window"), "name at least one larger-context provider, or leave on-context-window out");
        }
        List<String> providers = new ArrayList<>();
        for (Item item : items) {
            String name = text(item.node, item.path, "a provider name");
            if (name != null && providerReference(name, item.path, true)) {
                if (providers.contains(name)) {
                    problem(item.path, "'" + name + "' is listed twice in on-context-window");
                } else {
                    providers.add(name);
                }
            }
        }
        return providers;
    }

    private JsonRouteConfig jsonRoute(JsonNode node, String path, Set<String> names) {
        Mapping m = mapping(node, path, JSON_ROUTE_FIELDS);
        if (m == null) {
            return null;
        }
        String name = m.requiredText("name");
        if (name != null && !NAME.matcher(name).matches()) {
            problem(m.path("name"), "'" + name + "' is not a route name (" + NAME_RULE + ")");
        } else if (name != null && !names.add(name)) {
            problem(m.path("name"), "'" + name + "' is used twice");
        }
        Duration deadline = m.duration("deadline", JsonRouteConfig.DEFAULT_DEADLINE);
        List<TierConfig> tiers = tiers(m, false);
        checkDeadline(m, "deadline", deadline, tiers, TierConfig::timeout, "timeout");
        Duration lastKnownGood = m.duration("last-known-good", null);
        String defaultBody = jsonText(m.get("default-body"), m.path("default-body"));
        if (name == null) {
            return null;
        }
        return new JsonRouteConfig(name, deadline, tiers, lastKnownGood, defaultBody);
    }

    private String jsonText(JsonNode node, String path) {
        if (node == null) {
            return null;
        }
        if (!node.isTextual()) {
            return node.toString();
        }
        String text = node.textValue();
        try (var parser = JSON.createParser(text)) {
            JsonNode parsed = JSON.readTree(parser);
            if (parsed == null || parsed.isMissingNode()) {
                problem(path, "'' is not JSON text (give the body as JSON, e.g. '{\"status\": \"unknown\"}', or as YAML)");
            } else if (parser.nextToken() != null) {
                problem(path, "'" + text + "' is not JSON text: more than one JSON value");
            }
        } catch (JsonProcessingException e) {
            problem(path, "'" + text + "' is not JSON text: " + firstLine(e.getOriginalMessage())
                    + " (give the body as JSON, e.g. '{\"status\": \"unknown\"}', or as YAML)");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text;
    }

    private List<TierConfig> tiers(Mapping route, boolean chat) {
        JsonNode node = route.get("tiers");
        String path = route.path("tiers");
        if (node == null) {
            route.missing("tiers", "missing (a route needs at least one tier)");
            return List.of();
        }
        if (!node.isArray()) {
            problem(path, "expected a list of tiers, got " + describe(node));
            return List.of();
        }
        if (node.isEmpty()) {
            problem(path, "a route needs at least one tier");
        }
        List<TierConfig> tiers = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            TierConfig tier = tier(node.get(i), path + "[" + i + "]", chat);
            if (tier != null) {
                tiers.add(tier);
            }
        }
        return tiers;
    }

    private TierConfig tier(JsonNode node, String path, boolean chat) {
        Mapping m = mapping(node, path, TIER_FIELDS);
        if (m == null) {
            return null;
        }
        List<String> providers = new ArrayList<>();
        List<Item> items = m.items("providers", "provider names");
        if (items == null && !m.has("providers")) {
            m.missing("providers", "missing (a tier needs at least one provider)");
        } else if (items != null && items.isEmpty()) {
            problem(m.path("providers"), "a tier needs at least one provider");
        }
        for (Item item : items == null ? List.<Item>of() : items) {
            String name = text(item.node, item.path, "a provider name");
            if (name != null && providerReference(name, item.path, chat)) {
                if (providers.contains(name)) {
                    problem(item.path, "'" + name + "' is listed twice in this tier");
                } else {
                    providers.add(name);
                }
            }
        }
        Duration timeout = m.duration("timeout", null);
        Duration firstTokenTimeout = m.duration("first-token-timeout", null);
        if (!chat && m.has("first-token-timeout")) {
            problem(m.path("first-token-timeout"), "applies only to the streams of chat routes; json-routes use timeout");
        }
        String balance = m.choice("balance", TierConfig.ORDERED, BALANCES, "a balance");
        RetryConfig retry = retry(m.get("retry"), m.path("retry"));
        HedgeConfig hedge = hedge(m.get("hedge"), m.path("hedge"));
        if (balance == null) {
            return null;
        }
        return new TierConfig(providers, timeout, balance, retry, hedge, chat ? firstTokenTimeout : null);
    }

    private boolean providerReference(String name, String path, boolean chat) {
        if (!providersDefined) {
            return true;
        }
        if (!providerTypes.containsKey(name)) {
            String known = providerTypes.isEmpty() ? "none defined" : "known: " + String.join(", ", new TreeSet<>(providerTypes.keySet()));
            problem(path, "no provider '" + name + "' (" + known + ")");
            return false;
        }
        String type = providerTypes.get(name);
        if (type == null) {
            return true;
        }
        if (chat && type.equals(ProviderConfig.HTTP)) {
            problem(path, "'" + name + "' is an http provider; routes take openai and anthropic providers "
                    + "(http providers serve json-routes)");
            return false;
        }
        if (!chat && !type.equals(ProviderConfig.HTTP)) {
            problem(path, "'" + name + "' is an " + type + " provider; json-routes take http providers only");
            return false;
        }
        return true;
    }

    /** Reports, and says whether, every tier's {@code timeout} is longer than the deadline set at {@code key}. */
    private boolean checkDeadline(Mapping route, String key, Duration deadline, List<TierConfig> tiers,
                                  java.util.function.Function<TierConfig, Duration> timeout, String what) {
        if (tiers.isEmpty() || tiers.stream().anyMatch(t -> timeout.apply(t) == null || timeout.apply(t).compareTo(deadline) <= 0)) {
            return false;
        }
        String timeouts = tiers.stream().map(t -> format(timeout.apply(t))).collect(Collectors.joining(", "));
        problem(route.path(key), format(deadline) + " is shorter than every tier " + what + " (" + timeouts
                + "); no tier could use its own " + what);
        return true;
    }

    private RetryConfig retry(JsonNode node, String path) {
        Mapping m = optionalMapping(node, path, RETRY_FIELDS);
        if (m == null) {
            return null;
        }
        Integer attempts = m.integer("attempts", null, 1, Integer.MAX_VALUE,
                "a number of attempts (a whole number >= 1, the first attempt included)");
        if (attempts == null && !m.has("attempts")) {
            m.missing("attempts", "missing (required: the most attempts, the first included)");
        }
        Duration backoff = m.duration("backoff", RetryConfig.DEFAULT_BACKOFF);
        Duration maxBackoff = m.duration("max-backoff", null);
        if (maxBackoff != null && maxBackoff.compareTo(backoff) < 0) {
            problem(m.path("max-backoff"), format(maxBackoff) + " is shorter than the backoff (" + format(backoff) + ")");
        }
        List<String> retryOn = m.has("retry-on") ? m.choices("retry-on", FAILURE_KINDS, "a failure kind") : null;
        if (retryOn != null && m.get("retry-on").isEmpty()) {
            problem(m.path("retry-on"), "name at least one failure kind, or leave retry-on out for the default "
                    + "(connection, server_error, rate_limited, request_timeout)");
        }
        if (retryOn != null && retryOn.contains("context_window")) {
            problem(m.path("retry-on"), "context_window is never retried on the same provider; name larger-context "
                    + "providers in the route's on-context-window");
        }
        if (attempts == null) {
            return null;
        }
        return new RetryConfig(attempts, backoff, maxBackoff != null ? maxBackoff : backoff.multipliedBy(30), retryOn);
    }

    private HedgeConfig hedge(JsonNode node, String path) {
        Mapping m = optionalMapping(node, path, HEDGE_FIELDS);
        if (m == null) {
            return null;
        }
        Duration after = m.duration("after", null);
        Double percentile = m.number("percentile", null, p -> p > 0 && p < 1,
                "a percentile (between 0 and 1 exclusive, e.g. 0.95)");
        Duration floor = m.duration("floor", null);
        int maxHedges = m.integer("max-hedges", 1, 1, Integer.MAX_VALUE, "a whole number >= 1");
        boolean hasAfter = m.has("after");
        boolean hasPercentile = m.has("percentile");
        if (hasAfter == hasPercentile) {
            problem(path, hasAfter
                    ? "give only one of after (a fixed delay) and percentile (an adaptive delay)"
                    : "give one of after (a fixed delay, e.g. 300ms) or percentile (an adaptive delay, e.g. 0.95)");
            return null;
        }
        if (hasAfter && m.has("floor")) {
            problem(m.path("floor"), "applies only to a percentile hedge; a fixed delay has no floor");
        }
        if (after == null && percentile == null) {
            return null;
        }
        return new HedgeConfig(after, percentile, percentile != null && floor == null ? Duration.ofMillis(1) : floor,
                maxHedges);
    }

    // ---- collections

    private interface ElementReader<T> {
        T read(JsonNode node, String path, Set<String> names);
    }

    private <T> List<T> list(JsonNode node, String path, String what, ElementReader<T> reader) {
        if (node == null) {
            return List.of();
        }
        if (!node.isArray()) {
            problem(path, "expected a list of " + what + ", got " + describe(node));
            return List.of();
        }
        Set<String> names = new HashSet<>();
        List<T> values = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            T value = reader.read(node.get(i), path + "[" + i + "]", names);
            if (value != null) {
                values.add(value);
            }
        }
        return values;
    }

    private record Item(JsonNode node, String path) {
    }

    private List<Item> items(JsonNode node, String path, String what) {
        if (node == null) {
            return null;
        }
        if (!node.isArray()) {
            problem(path, "expected a list of " + what + ", got " + describe(node));
            return null;
        }
        List<Item> items = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            items.add(new Item(node.get(i), path + "[" + i + "]"));
        }
        return items;
    }

    // ---- mappings

    private Mapping mapping(JsonNode node, String path, List<String> known) {
        if (node == null || !node.isObject()) {
            problem(path, "expected a mapping, got " + describe(node));
            return null;
        }
        return new Mapping(node, path, known);
    }

    private Mapping optionalMapping(JsonNode node, String path, List<String> known) {
        return node == null ? null : mapping(node, path, known);
    }

    /** A mapping's fields by canonical (kebab-case) name, each keeping the key as written for its path. */
    private final class Mapping {

        private final String path;
        private final Map<String, Map.Entry<String, JsonNode>> fields = new LinkedHashMap<>();
        private final Set<String> suggested = new HashSet<>();

        Mapping(JsonNode node, String path, List<String> known) {
            this.path = path;
            for (Map.Entry<String, JsonNode> entry : node.properties()) {
                String key = entry.getKey();
                String canonical = kebab(key);
                if (!known.contains(canonical)) {
                    String suggestion = closest(canonical, known);
                    if (suggestion != null) {
                        suggested.add(suggestion);
                        boolean camel = !key.equals(key.toLowerCase(Locale.ROOT));
                        problem(child(path, key), "unknown field (did you mean '" + (camel ? camel(suggestion) : suggestion) + "'?)");
                    } else {
                        problem(child(path, key), "unknown field (known: " + String.join(", ", known) + ")");
                    }
                    continue;
                }
                Map.Entry<String, JsonNode> earlier = fields.get(canonical);
                if (earlier != null) {
                    problem(child(path, key), "given twice (also as '" + earlier.getKey() + "')");
                    continue;
                }
                fields.put(canonical, entry);
            }
        }

        /** The value, or null when absent or written as null. */
        JsonNode get(String field) {
            Map.Entry<String, JsonNode> entry = fields.get(field);
            return entry == null || entry.getValue().isNull() ? null : entry.getValue();
        }

        /** Reports {@code field} missing, unless an unknown field here was taken for a misspelling of it. */
        void missing(String field, String message) {
            if (!suggested.contains(field)) {
                problem(path(field), message);
            }
        }

        boolean has(String field) {
            return get(field) != null;
        }

        String path(String field) {
            Map.Entry<String, JsonNode> entry = fields.get(field);
            return child(path, entry == null ? field : entry.getKey());
        }

        String text(String field, String absent) {
            JsonNode node = get(field);
            if (node == null) {
                return absent;
            }
            String text = ConfigReader.this.text(node, path(field), "a string");
            return text == null ? absent : text;
        }

        String requiredText(String field) {
            if (!has(field)) {
                missing(field, "missing (required)");
                return null;
            }
            return ConfigReader.this.text(get(field), path(field), "a string");
        }

        String envName(String field) {
            JsonNode node = get(field);
            return node == null ? null : ConfigReader.this.envName(node, path(field));
        }

        Integer integer(String field, Integer absent, long min, long max, String what) {
            Long value = whole(field, absent == null ? null : absent.longValue(), min, max, what);
            return value == null ? null : value.intValue();
        }

        Long whole(String field, Long absent, long min, long max, String what) {
            JsonNode node = get(field);
            if (node == null) {
                return absent;
            }
            Long value = wholeNumber(node);
            if (value == null || value < min || value > max) {
                invalid(node, path(field), what);
                return absent;
            }
            return value;
        }

        Double number(String field, Double absent, DoublePredicate valid, String what) {
            JsonNode node = get(field);
            if (node == null) {
                return absent;
            }
            Double value = ConfigReader.number(node);
            if (value == null || !valid.test(value)) {
                invalid(node, path(field), what);
                return absent;
            }
            return value;
        }

        double number(String field, double absent, DoublePredicate valid, String what) {
            return number(field, Double.valueOf(absent), valid, what);
        }

        boolean bool(String field, boolean absent) {
            JsonNode node = get(field);
            if (node == null) {
                return absent;
            }
            if (node.isBoolean()) {
                return node.booleanValue();
            }
            String text = scalar(node);
            if ("true".equals(text) || "false".equals(text)) {
                return Boolean.parseBoolean(text);
            }
            invalid(node, path(field), "true or false");
            return absent;
        }

        Duration duration(String field, Duration absent) {
            JsonNode node = get(field);
            return node == null ? absent : ConfigReader.this.duration(node, path(field), absent);
        }

        String choice(String field, String absent, List<String> options, String what) {
            JsonNode node = get(field);
            return node == null ? absent : ConfigReader.this.choice(node, path(field), options, what);
        }

        List<String> choices(String field, List<String> options, String what) {
            List<Item> items = items(field, what.replaceFirst("^an? ", "") + " names");
            if (items == null) {
                return null;
            }
            List<String> values = new ArrayList<>();
            for (Item item : items) {
                String value = ConfigReader.this.choice(item.node, item.path, options, what);
                if (value == null) {
                    continue;
                }
                if (values.contains(value)) {
                    problem(item.path, "'" + value + "' is listed twice");
                } else {
                    values.add(value);
                }
            }
            return values;
        }

        List<Item> items(String field, String what) {
            return ConfigReader.this.items(get(field), path(field), what);
        }
    }

    // ---- scalars

    private String text(JsonNode node, String path, String what) {
        String text = scalar(node);
        if (text == null) {
            problem(path, "expected " + what + ", got " + describe(node));
            return null;
        }
        if (text.isBlank()) {
            problem(path, "must not be empty");
            return null;
        }
        return text;
    }

    private String envName(JsonNode node, String path) {
        String name = text(node, path, "an environment variable name");
        if (name != null && !ENV_NAME.matcher(name).matches()) {
            problem(path, "'" + name + "' is not an environment variable name (" + ENV_NAME_RULE + ")");
            return null;
        }
        return name;
    }

    private Duration duration(JsonNode node, String path, Duration absent) {
        String text = scalar(node);
        Duration duration = text == null ? null : parseDuration(text);
        if (duration == null) {
            invalid(node, path, "a duration " + DURATION_HINT);
            return absent;
        }
        if (duration.isZero() || duration.isNegative()) {
            problem(path, "'" + text + "' is not a positive duration");
            return absent;
        }
        return duration;
    }

    private String choice(JsonNode node, String path, List<String> options, String what) {
        String text = scalar(node);
        if (text != null) {
            String squashed = squash(text);
            for (String option : options) {
                if (squash(option).equals(squashed)) {
                    return option;
                }
            }
        }
        if (text == null) {
            problem(path, "expected " + what + " (known: " + String.join(", ", options) + "), got " + describe(node));
        } else {
            problem(path, "'" + text + "' is not " + what + " (known: " + String.join(", ", options) + ")");
        }
        return null;
    }

    private void invalid(JsonNode node, String path, String what) {
        String text = scalar(node);
        problem(path, text == null ? "expected " + what + ", got " + describe(node) : "'" + text + "' is not " + what);
    }

    private static String scalar(JsonNode node) {
        return node != null && node.isValueNode() && !node.isNull() ? node.asText() : null;
    }

    private static Long wholeNumber(JsonNode node) {
        if (node.isIntegralNumber()) {
            return node.canConvertToLong() ? node.longValue() : null;
        }
        if (node.isTextual()) {
            try {
                return Long.parseLong(node.textValue().trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    private static Double number(JsonNode node) {
        double value;
        if (node.isNumber()) {
            value = node.doubleValue();
        } else if (node.isTextual()) {
            try {
                value = Double.parseDouble(node.textValue().trim());
            } catch (NumberFormatException e) {
                return null;
            }
        } else {
            return null;
        }
        return Double.isFinite(value) ? value : null;
    }

    /** Parses {@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h} or ISO-8601 ({@code PT5S}); null if neither. */
    static Duration parseDuration(String text) {
        String trimmed = text.trim();
        Matcher matcher = DURATION.matcher(trimmed);
        try {
            if (matcher.matches()) {
                long amount = Long.parseLong(matcher.group(1));
                return switch (matcher.group(2)) {
                    case "ms" -> Duration.ofMillis(amount);
                    case "s" -> Duration.ofSeconds(amount);
                    case "m" -> Duration.of(amount, ChronoUnit.MINUTES);
                    default -> Duration.of(amount, ChronoUnit.HOURS);
                };
            }
            if (trimmed.matches("[-+]?[Pp].*")) {
                return Duration.parse(trimmed);
            }
        } catch (NumberFormatException | ArithmeticException | DateTimeParseException e) {
            return null;
        }
        return null;
    }

    /** Formats a duration the way the file would say it: {@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h}. */
    static String format(Duration duration) {
        long millis = duration.toMillis();
        if (millis % 3_600_000 == 0) {
            return millis / 3_600_000 + "h";
        }
        if (millis % 60_000 == 0) {
            return millis / 60_000 + "m";
        }
        if (millis % 1000 == 0) {
            return millis / 1000 + "s";
        }
        return millis + "ms";
    }

    private static boolean isHttpUrl(String text) {
        try {
            URI uri = new URI(text);
            String scheme = uri.getScheme();
            return scheme != null && (scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                    && uri.getHost() != null && uri.getRawQuery() == null && uri.getRawFragment() == null;
        } catch (URISyntaxException e) {
            return false;
        }
    }

    private static String describe(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return "nothing";
        }
        if (node.isObject()) {
            return "a mapping";
        }
        if (node.isArray()) {
            return "a list";
        }
        return "'" + node.asText() + "'";
    }

    // ---- names and paths

    /** The known field {@code canonical} is probably a misspelling of, or null. */
    private static String closest(String canonical, List<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : known) {
            int distance = distance(canonical, candidate);
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return bestDistance <= 2 && bestDistance * 3 <= canonical.length() ? best : null;
    }

    /** {@code maxBodyBytes} and {@code max-body-bytes} alike become {@code max-body-bytes}. */
    static String kebab(String key) {
        StringBuilder out = new StringBuilder(key.length() + 4);
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (Character.isUpperCase(c)) {
                out.append('-').append(Character.toLowerCase(c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static String camel(String kebab) {
        StringBuilder out = new StringBuilder(kebab.length());
        boolean upper = false;
        for (char c : kebab.toCharArray()) {
            if (c == '-') {
                upper = true;
            } else {
                out.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return out.toString();
    }

    private static String squash(String text) {
        return text.replace("-", "").replace("_", "").toLowerCase(Locale.ROOT);
    }

    /** Optimal string alignment distance: edits, with a swap of two neighbours counting as one. */
    private static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    private static String firstLine(String text) {
        int end = text.indexOf('\n');
        return (end < 0 ? text : text.substring(0, end)).trim();
    }

    private static String child(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private void index(JsonNode node, String path) {
        if (node == null) {
            return;
        }
        positions.putIfAbsent(path, positions.size());
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> entry : node.properties()) {
                index(entry.getValue(), child(path, entry.getKey()));
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                index(node.get(i), path + "[" + i + "]");
            }
        }
    }

    /** The position of {@code path} in the document, or of its nearest ancestor when it is not there. */
    private int position(String path) {
        String p = path;
        while (true) {
            Integer position = positions.get(p);
            if (position != null || p.isEmpty()) {
                return position == null ? 0 : position;
            }
            int cut = p.endsWith("]") ? p.lastIndexOf('[') : p.lastIndexOf('.');
            p = cut < 0 ? "" : p.substring(0, cut);
        }
    }

    private void problem(String path, String message) {
        String line = path.isEmpty() ? source + ": " + message : source + ": " + path + ": " + message;
        problems.add(new Problem(position(path), problems.size(), line));
    }
}
