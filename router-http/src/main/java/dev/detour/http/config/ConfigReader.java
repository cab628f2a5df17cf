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
import dev.detour.core.FailureKind;
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
import java.util.Locale;
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
            List<String> lines = cause instanceof ConfigException e ? e.problems() : List.of(String.valueOf(cause.getMessage()));
            for (String line : lines) {
                Matcher keyed = KEY.matcher(line);
                if (keyed.matches()) {
                    problem(at.appendProperty(keyed.group(1)), keyed.group(2));
                } else {
                    problem(at, line);
                }
            }
            return null;
        }
    }

    // ---- problems, paths and positions

    /** Records that the node at {@code pointer} is written {@code path} in the file, next in document order. */
    void visit(JsonPointer pointer, String path) {
        written.put(pointer.toString(), path);
        positions.putIfAbsent(pointer.toString(), positions.size());
    }

    /** Adds a problem found by the schema: always reported. */
    void schemaProblem(JsonPointer pointer, String message) {
        add(pointer.toString(), message);
    }

    /** Adds a problem unless one was already reported at or under {@code pointer}. */
    void problem(JsonPointer pointer, String message) {
        String at = pointer.toString();
        if (problems.stream().noneMatch(p -> p.pointer.equals(at) || p.pointer.startsWith(at + "/"))) {
            add(at, message);
        }
    }

    private void add(String pointer, String message) {
        String path = path(pointer);
        String line = path.isEmpty() ? source + ": " + message : source + ": " + path + ": " + message;
        problems.add(new Problem(pointer, line, position(pointer), problems.size()));
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

    /** The failure kinds named {@code names}, in order, or null for none. */
    static FailureKind[] kinds(List<String> names) {
        return names == null || names.isEmpty() ? null
                : names.stream().map(name -> word(FailureKind.class, name)).toArray(FailureKind[]::new);
    }

    /**
     * The word a configuration writes for {@code value}: failure kinds in snake case
     * ({@code rate_limited}), validators in camel case ({@code nonEmpty}), the rest in kebab case
     * ({@code round-robin}).
     */
    static String word(Enum<?> value) {
        String lower = value.name().toLowerCase(Locale.ROOT);
        return value instanceof FailureKind ? lower
                : value instanceof RouteConfig.Validator ? camel(lower.replace('_', '-')) : lower.replace('_', '-');
    }

    /** The value of {@code type} written {@code word}, ignoring case, '-' and '_'. */
    static <E extends Enum<E>> E word(Class<E> type, String word) {
        for (E value : type.getEnumConstants()) {
            if (squash(word(value)).equals(squash(word))) {
                return value;
            }
        }
        throw new IllegalArgumentException("'" + word + "' is not one of " + words(type));
    }

    /** The word of the value of {@code type} written {@code word}: its canonical spelling. */
    static <E extends Enum<E>> String canonical(Class<E> type, String word) {
        return word(word(type, word));
    }

    /** Every word of {@code type}, in order. */
    static List<String> words(Class<? extends Enum<?>> type) {
        return java.util.Arrays.stream(type.getEnumConstants()).map(ConfigReader::word).toList();
    }

    // ---- durations and names

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
        return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
    }

    /** {@code maxBodyBytes} and {@code max-body-bytes} alike become {@code max-body-bytes}. */
    static String kebab(String key) {
        StringBuilder out = new StringBuilder(key.length() + 4);
        for (char c : key.toCharArray()) {
            out.append(Character.isUpperCase(c) ? "-" + Character.toLowerCase(c) : String.valueOf(c));
        }
        return out.toString();
    }

    /** {@code max-body-bytes} becomes {@code maxBodyBytes}. */
    static String camel(String kebab) {
        StringBuilder out = new StringBuilder(kebab.length());
        for (int i = 0; i < kebab.length(); i++) {
            char c = kebab.charAt(i);
            if (c == '-' && i + 1 < kebab.length()) {
                out.append(Character.toUpperCase(kebab.charAt(++i)));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** {@code Round_Robin} and {@code round-robin} alike become {@code roundrobin}. */
    static String squash(String text) {
        return text.replace("-", "").replace("_", "").toLowerCase(Locale.ROOT);
    }

    /** Reads a duration the schema has checked. */
    private static final class DurationDeserializer extends JsonDeserializer<Duration> {
        @Override
        public Duration deserialize(JsonParser parser, DeserializationContext context) throws IOException {
            Duration duration = parseDuration(parser.getValueAsString(""));
            return duration != null ? duration : (Duration) context.handleWeirdStringValue(Duration.class,
                    parser.getText(), "not a duration " + ConfigSchema.DURATION_HINT);
        }
    }
}
