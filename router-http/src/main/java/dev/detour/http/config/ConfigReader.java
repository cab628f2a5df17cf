package dev.detour.http.config;

import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.core.InvalidRouteException;
import dev.detour.core.Provider;
import dev.detour.core.Route;
import dev.detour.core.Router;
import java.io.IOException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one parsed YAML document into a {@link GatewayConfig}: the {@linkplain ConfigSchema schema}
 * checks types, ranges, required and unknown fields; provider references are checked; then Jackson
 * binds what is valid to the config records, whose constructors build the core's policies and routes,
 * so the core's builders judge the rest. Every problem is collected with the path of its field (as
 * the file wrote it) and reported at once, in document order. A problem on a record is dropped when
 * one was already reported at or under its field: it would only repeat it.
 */
final class ConfigReader {

    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");
    private static final Pattern KEY = Pattern.compile("([a-z][a-z-]*): (.*)", Pattern.DOTALL);
    private static final ObjectReader BINDER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .withConfigOverride(List.class, o -> o.setSetterInfo(JsonSetter.Value.forContentNulls(Nulls.SKIP)))
            .addModule(new SimpleModule().addDeserializer(Duration.class, new DurationDeserializer()))
            .build()
            .readerFor(GatewayConfig.class);

    private final String source;
    private final Map<String, String> written = new HashMap<>();
    private final Map<String, Integer> positions = new HashMap<>();
    private final List<Problem> problems = new ArrayList<>();
    private int visits;

    private record Problem(String pointer, String line, int position, int sequence) {
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
        if (root == null || root.isMissingNode() || root.isNull()) {
            throw new ConfigException(source + ": the configuration is empty (it needs at least providers)");
        }
        ConfigReader reader = new ConfigReader(source);
        GatewayConfig config = reader.check(root);
        if (!reader.problems.isEmpty()) {
            throw new ConfigException(reader.problems.stream()
                    .sorted(Comparator.comparingInt(Problem::position).thenComparingInt(Problem::sequence))
                    .map(Problem::line)
                    .toList());
        }
        return config;
    }

    private GatewayConfig check(JsonNode root) {
        TreeSet<String> providerNames = new TreeSet<>();
        root.path("providers").fieldNames().forEachRemaining(providerNames::add);
        boolean providersDefined = root.path("providers").isObject();
        if (!(ConfigSchema.validate(root, this) instanceof ObjectNode document)) {
            return null;
        }
        if (providersDefined) {
            references(document, providerNames);
        }
        ConfigSchema.unique(document, this);
        document.path("providers").properties().forEach(p -> {
            if (p.getValue() instanceof ObjectNode provider) {
                provider.put("name", p.getKey());
            }
        });
        try {
            return BINDER.withHandler(new RecordProblems()).readValue(document);
        } catch (IOException e) {
            problem(JsonPointer.empty(), e.getMessage());
            return null;
        }
    }

    /** Provider names in routes name defined providers of the right type. */
    private void references(ObjectNode document, TreeSet<String> known) {
        JsonNode providers = document.path("providers");
        for (String section : List.of("routes", "json-routes")) {
            boolean chat = section.equals("routes");
            JsonPointer at = JsonPointer.empty().appendProperty(section);
            for (int r = 0; r < document.path(section).size(); r++) {
                JsonNode route = document.path(section).path(r);
                for (int t = 0; t < route.path("tiers").size(); t++) {
                    names(route.path("tiers").path(t).path("providers"),
                            at.appendIndex(r).appendProperty("tiers").appendIndex(t).appendProperty("providers"), providers, known, chat);
                }
                names(route.path("on-context-window"), at.appendIndex(r).appendProperty("on-context-window"), providers, known, chat);
            }
        }
    }

    private void names(JsonNode names, JsonPointer at, JsonNode providers, TreeSet<String> known, boolean chat) {
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i).textValue();
            if (name == null) {
                continue;
            }
            String type = providers.path(name).path("type").textValue();
            if (!known.contains(name)) {
                problem(at.appendIndex(i), "no provider '" + name + "' ("
                        + (known.isEmpty() ? "none defined" : "known: " + String.join(", ", known)) + ")");
            } else if (chat && "http".equals(type)) {
                problem(at.appendIndex(i), "'" + name + "' is an http provider; routes take openai and anthropic providers "
                        + "(http providers serve json-routes)");
            } else if (!chat && type != null && !"http".equals(type)) {
                problem(at.appendIndex(i), "'" + name + "' is an " + type + " provider; json-routes take http providers only");
            }
        }
    }

    /** Turns a record's refusal into problems at its fields: a {@link ConfigException} names them relative to the record. */
    private final class RecordProblems extends DeserializationProblemHandler {
        @Override
        public Object handleInstantiationProblem(DeserializationContext context, Class<?> type, Object argument, Throwable t) {
            JsonPointer at = context.getParser().getParsingContext().pathAsPointer();
            Throwable cause = t.getCause() != null ? t.getCause() : t;
            int earlier = problems.size();
            for (String line : cause instanceof ConfigException e ? e.problems() : List.of(String.valueOf(cause.getMessage()))) {
                Matcher keyed = KEY.matcher(line);
                String pointer = (keyed.matches() ? at.appendProperty(keyed.group(1)) : at).toString();
                if (!covered(pointer, earlier)) {
                    add(pointer, path(pointer), keyed.matches() ? keyed.group(2) : line, position(pointer));
                }
            }
            return null;
        }
    }

    // ---- problems, paths and positions

    /** Records that the node at {@code pointer} is written {@code path} in the file, next in document order. */
    void visit(JsonPointer pointer, String path) {
        written.put(pointer.toString(), path);
        positions.putIfAbsent(pointer.toString(), visits++);
    }

    /** Adds a problem found by the schema: always reported. */
    void schemaProblem(JsonPointer pointer, String message) {
        String at = pointer.toString();
        add(at, path(at), message, position(at));
    }

    /** Adds a problem with a key written at {@code path}, the next thing in document order. */
    void keyProblem(JsonPointer pointer, String path, String message) {
        add(pointer.toString(), path, message, visits++);
    }

    /** Adds a problem unless one was already reported at or under {@code pointer}. */
    void problem(JsonPointer pointer, String message) {
        String at = pointer.toString();
        if (!covered(at, problems.size())) {
            add(at, path(at), message, position(at));
        }
    }

    /** Whether one of the first {@code count} problems is at or under {@code pointer}. */
    private boolean covered(String pointer, int count) {
        return problems.subList(0, count).stream().anyMatch(p -> p.pointer.equals(pointer) || p.pointer.startsWith(pointer + "/"));
    }

    private void add(String pointer, String path, String message, int position) {
        String line = path.isEmpty() ? source + ": " + message : source + ": " + path + ": " + message;
        problems.add(new Problem(pointer, line, position, problems.size()));
    }

    /** The path of {@code pointer} as the file writes it, e.g. {@code routes[0].tiers[1].timeout}. */
    private String path(String pointer) {
        String known = written.get(pointer);
        if (known != null || pointer.isEmpty()) {
            return known == null ? "" : known;
        }
        JsonPointer p = JsonPointer.compile(pointer);
        String parent = path(p.head().toString());
        String last = p.last().getMatchingProperty();
        return parent.isEmpty() ? last : parent + "." + last;
    }

    /** The position of {@code pointer} in the document, or of its nearest ancestor when it is not there. */
    private int position(String pointer) {
        Integer position = positions.get(pointer);
        if (position != null || pointer.isEmpty()) {
            return position == null ? 0 : position;
        }
        return position(JsonPointer.compile(pointer).head().toString());
    }

    // ---- what records share

    /**
     * What {@link Route.Builder#build} says of a route named {@code name} under {@code deadline} over
     * {@code tiers} timed by {@code timeout}, as {@code key: problem} lines for its {@link ConfigException}
     * ({@code deadline: ...} becomes {@code deadlineKey: ...}); empty when it builds.
     */
    static List<String> routeProblems(String name, Duration deadline, List<TierConfig> tiers,
                                      Function<TierConfig, Duration> timeout, String deadlineKey) {
        Route.Builder<Object, Object> route = Router.create().route(name == null || name.isBlank() ? "?" : name);
        route.deadline(deadline);
        try {
            for (TierConfig tier : tiers) {
                List<Provider<Object, Object>> stubs = new LinkedHashSet<>(tier.providers()).stream()
                        .map(provider -> Provider.of(provider, (request, context) -> null)).toList();
                route.tier(tier.tier(stubs, timeout.apply(tier), Map.of()));
            }
            route.build();
            return List.of();
        } catch (InvalidRouteException e) {
            String problem = e.getMessage().replaceFirst("^route '.*?': ", "");
            return List.of(problem.startsWith("deadline ") ? deadlineKey + ": " + problem.substring(9) : problem);
        }
    }

    // ---- durations

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

    /** Reads a duration the schema has checked: {@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h}, {@code PT5S}. */
    private static final class DurationDeserializer extends JsonDeserializer<Duration> {
        @Override
        public Duration deserialize(JsonParser parser, DeserializationContext context) throws IOException {
            return parseDuration(parser.getValueAsString(""));
        }
    }
}
