package dev.detour.http.config;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.networknt.schema.Error;
import com.networknt.schema.ExecutionContext;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.dialect.Dialect;
import com.networknt.schema.dialect.Dialects;
import com.networknt.schema.format.Format;
import com.networknt.schema.keyword.AnnotationKeyword;
import com.networknt.schema.path.NodePath;
import com.networknt.schema.path.PathType;
import dev.detour.core.FailureKind;
import dev.detour.llm.ContinuationMode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The configuration's JSON Schema, {@code detour-config.schema.json} beside this class, with the
 * vocabularies taken from their enums. Before a document is checked, its camelCase keys become
 * kebab-case, fields written {@code null} are dropped (they take their default), vocabulary words are
 * matched ignoring case, {@code -} and {@code _}, and scalars are read as the type the schema wants
 * ({@code "8080"} as a number). Each validation error becomes one problem in the words of the schema's
 * annotations ({@code x-what}, {@code x-message}, {@code x-missing}), and the values it flags are
 * removed, so that what is bound is valid.
 */
final class ConfigSchema {

    static final String DURATION_HINT = "(use e.g. 250ms, 5s, 2m, 1h)";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNode TREE = load();
    private static final Schema SCHEMA = compile();
    private static final Set<String> INSTANCE_STEPS = Set.of("properties", "items", "additionalProperties", "propertyNames");

    private ConfigSchema() {
    }

    private static JsonNode load() {
        try (InputStream in = ConfigSchema.class.getResourceAsStream("detour-config.schema.json")) {
            ObjectNode tree = (ObjectNode) JSON.readTree(in);
            ObjectNode defs = (ObjectNode) tree.get("$defs");
            Map<String, Class<? extends Enum<?>>> vocabularies = Map.of("provider-type", ProviderConfig.Type.class,
                    "continuation", ContinuationMode.class, "balance", TierConfig.Balance.class,
                    "mid-stream", RouteConfig.MidStream.class, "validator", RouteConfig.Validator.class,
                    "failure-kind", FailureKind.class, "empty-answers", RouteConfig.EmptyAnswers.class,
                    "failover-marker", RouteConfig.Marker.class, "malformed-events", RouteConfig.Malformed.class);
            vocabularies.forEach((name, type) -> ConfigReader.words(type)
                    .forEach(((ObjectNode) defs.get(name)).putArray("enum")::add));
            return tree;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read detour-config.schema.json", e);
        }
    }

    private static Schema compile() {
        Dialect dialect = Dialect.builder(Dialects.getDraft202012())
                .format(format("detour-duration", text -> ConfigReader.parseDuration(text) != null
                        && !ConfigReader.parseDuration(text).isNegative() && !ConfigReader.parseDuration(text).isZero()))
                .format(format("http-url", text -> text.isBlank() || isHttpUrl(text)))
                .keywords(List.of("x-what", "x-message", "x-missing", "x-unique", "x-unique-by", "x-ignore-case").stream()
                        .map(AnnotationKeyword::new).toList())
                .build();
        Schema schema = SchemaRegistry.withDialect(dialect, registry -> registry.schemaRegistryConfig(
                        SchemaRegistryConfig.builder().formatAssertionsEnabled(true).pathType(PathType.JSON_POINTER)
                                .locale(Locale.ENGLISH).build()))
                .getSchema(TREE);
        schema.initializeValidators();
        schema.validate(JSON.createObjectNode().put("routes", 1));
        return schema;
    }

    private static Format format(String name, Predicate<String> matches) {
        return new Format() {
            @Override
            public String getName() {
                return name;
            }

            @Override
            public boolean matches(ExecutionContext context, String value) {
                return matches.test(value);
            }
        };
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

    /**
     * Normalizes {@code root}, checks it and reports each error to {@code reader}; returns it without
     * the values found invalid (null when the document itself is).
     */
    static JsonNode validate(JsonNode root, ConfigReader reader) {
        JsonNode document = normalize(root, TREE, JsonPointer.empty(), "", reader);
        List<Error> errors = SCHEMA.validate(document);
        Map<String, Set<String>> suggested = new HashMap<>();
        Map<String, String> messages = new LinkedHashMap<>();
        List<JsonPointer> invalid = new ArrayList<>();
        for (Error error : errors) {
            if (error.getKeyword().equals("additionalProperties")) {
                String suggestion = closest(ConfigReader.kebab(error.getProperty()), known(schemaAt(error)));
                suggested.computeIfAbsent(pointer(error.getInstanceLocation()).toString(), k -> new HashSet<>()).add(String.valueOf(suggestion));
            }
        }
        for (Error error : errors) {
            JsonPointer at = pointer(error.getInstanceLocation());
            String property = error.getProperty();
            if (error.getKeyword().equals("required")) {
                if (!suggested.getOrDefault(at.toString(), Set.of()).contains(property)) {
                    String reason = schemaAt(error).path("x-missing").path(property).asText("required");
                    messages.putIfAbsent(at.appendProperty(property).toString(), "missing (" + reason + ")");
                }
            } else {
                JsonPointer where = property != null ? at.appendProperty(property) : at;
                messages.putIfAbsent(where.toString(), message(error));
                invalid.add(where);
            }
        }
        messages.forEach((pointer, message) -> reader.schemaProblem(JsonPointer.compile(pointer), message));
        for (JsonPointer pointer : invalid) {
            if (pointer.matches()) {
                return null;
            }
            JsonNode parent = document.at(pointer.head());
            if (parent instanceof ObjectNode object) {
                object.remove(pointer.last().getMatchingProperty());
            } else if (parent instanceof ArrayNode array && pointer.last().getMatchingIndex() >= 0) {
                array.set(pointer.last().getMatchingIndex(), NullNode.getInstance());
            }
        }
        return document;
    }

    /** The problem {@code error} is, in the words of the schema's annotations. */
    private static String message(Error error) {
        String keyword = error.getKeyword();
        List<JsonNode> chain = chain(error.getEvaluationPath());
        JsonNode node = chain.get(chain.size() - 2);
        JsonNode value = error.getInstanceNode();
        if (keyword.equals("additionalProperties")) {
            String suggestion = closest(ConfigReader.kebab(error.getProperty()), known(node));
            boolean camel = !error.getProperty().equals(error.getProperty().toLowerCase(Locale.ROOT));
            return suggestion == null ? "unknown field (known: " + String.join(", ", known(node)) + ")"
                    : "unknown field (did you mean '" + (camel ? ConfigReader.camel(suggestion) : suggestion) + "'?)";
        }
        if (keyword.equals("propertyNames")) {
            return "'" + error.getProperty() + "' is not " + what(List.of(chain.get(chain.size() - 1)));
        }
        JsonNode custom = node.get("x-message");
        String text = custom == null ? null : custom.isTextual() ? custom.textValue() : custom.path(keyword).textValue();
        if (text != null && !keyword.equals("type")) {
            return text.replace("{default-retry}", String.join(", ", FailureKind.DEFAULT_RETRY.stream().map(ConfigReader::word).toList()));
        }
        String what = what(chain.subList(lastInstanceStep(error.getEvaluationPath()), chain.size() - 1));
        if (keyword.equals("enum")) {
            List<String> known = new ArrayList<>();
            node.get("enum").forEach(option -> known.add(option.asText()));
            what += " (known: " + String.join(", ", known) + ")";
        }
        boolean wantsScalar = !List.of("object", "array").contains(find(node, "type") == null ? "" : find(node, "type").asText());
        if (value != null && value.isValueNode() && !value.isNull() && wantsScalar) {
            Duration parsed = node.path("format").asText().equals("detour-duration") ? ConfigReader.parseDuration(value.asText()) : null;
            return parsed != null ? "'" + value.asText() + "' is not a positive duration" : "'" + value.asText() + "' is not " + what;
        }
        return "expected " + what + ", got " + describe(value);
    }

    /** The first {@code x-what} among {@code nodes} (each with what it refers to), outermost first. */
    private static String what(List<JsonNode> nodes) {
        for (JsonNode node : nodes) {
            JsonNode what = find(node, "x-what");
            if (what != null) {
                return what.asText();
            }
        }
        return "valid";
    }

    private static String describe(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return "nothing";
        }
        return node.isObject() ? "a mapping" : node.isArray() ? "a list" : "'" + node.asText() + "'";
    }

    // ---- walking a document along the schema

    private static JsonNode normalize(JsonNode node, JsonNode schema, JsonPointer at, String path, ConfigReader reader) {
        reader.visit(at, path);
        if (node instanceof ObjectNode object) {
            Map<String, JsonNode> fields = new LinkedHashMap<>();
            Map<String, String> writtenAs = new HashMap<>();
            for (Map.Entry<String, JsonNode> entry : object.properties()) {
                String key = entry.getKey();
                String name = property(schema, key) == null && property(schema, ConfigReader.kebab(key)) != null
                        ? ConfigReader.kebab(key) : key;
                JsonNode declared = property(schema, name);
                if (declared != null && entry.getValue().isNull()) {
                    continue;
                }
                String child = path.isEmpty() ? key : path + "." + key;
                if (writtenAs.containsKey(name)) {
                    reader.visit(at.appendProperty(key), child);
                    reader.schemaProblem(at.appendProperty(key), "given twice (also as '" + writtenAs.get(name) + "')");
                    continue;
                }
                writtenAs.put(name, key);
                JsonNode valueSchema = declared != null ? declared : find(schema, "additionalProperties");
                fields.put(name, normalize(entry.getValue(), valueSchema, at.appendProperty(name), child, reader));
            }
            object.removeAll();
            object.setAll(fields);
            return object;
        }
        if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                array.set(i, normalize(array.get(i), find(schema, "items"), at.appendIndex(i), path + "[" + i + "]", reader));
            }
            return array;
        }
        return scalar(node, schema);
    }

    /** {@code node} as the type and word {@code schema} wants, when it can be read so. */
    private static JsonNode scalar(JsonNode node, JsonNode schema) {
        JsonNode options = find(schema, "enum");
        if (options != null && node.isTextual()) {
            for (JsonNode option : options) {
                if (ConfigReader.squash(option.asText()).equals(ConfigReader.squash(node.textValue()))) {
                    return option;
                }
            }
        }
        String type = find(schema, "type") == null ? "" : find(schema, "type").asText();
        String text = node.asText().trim();
        if (type.equals("string") && (node.isNumber() || node.isBoolean())) {
            return TextNode.valueOf(node.asText());
        }
        if ((type.equals("integer") || type.equals("number")) && node.isTextual() && text.matches("[-+]?\\d+(\\.\\d+)?")) {
            return text.contains(".") ? JSON.getNodeFactory().numberNode(new BigDecimal(text))
                    : JSON.getNodeFactory().numberNode(new BigInteger(text));
        }
        if (type.equals("boolean") && (text.equals("true") || text.equals("false"))) {
            return BooleanNode.valueOf(text.equals("true"));
        }
        return node;
    }

    /** Reports repeated items (or keys) where the schema says {@code x-unique}, at the second one. */
    static void unique(JsonNode node, JsonNode schema, JsonPointer at, ConfigReader reader) {
        if (schema == null) {
            return;
        }
        JsonNode template = find(schema, "x-unique");
        boolean ignoreCase = find(schema, "x-ignore-case") != null;
        Set<String> seen = new HashSet<>();
        if (node instanceof ObjectNode object) {
            for (Map.Entry<String, JsonNode> entry : object.properties()) {
                if (template != null && !seen.add(ignoreCase ? entry.getKey().toLowerCase(Locale.ROOT) : entry.getKey())) {
                    reader.problem(at.appendProperty(entry.getKey()), template.asText().formatted(entry.getKey()));
                }
                JsonNode declared = property(schema, entry.getKey());
                unique(entry.getValue(), declared != null ? declared : find(schema, "additionalProperties"),
                        at.appendProperty(entry.getKey()), reader);
            }
        } else if (node instanceof ArrayNode array) {
            String by = find(schema, "x-unique-by") == null ? null : find(schema, "x-unique-by").asText();
            for (int i = 0; i < array.size(); i++) {
                JsonNode item = by == null ? array.get(i) : array.get(i).path(by);
                JsonPointer where = by == null ? at.appendIndex(i) : at.appendIndex(i).appendProperty(by);
                if (template != null && item.isTextual()
                        && !seen.add(ignoreCase ? item.textValue().toLowerCase(Locale.ROOT) : item.textValue())) {
                    reader.problem(where, template.asText().formatted(item.textValue()));
                }
                unique(array.get(i), find(schema, "items"), at.appendIndex(i), reader);
            }
        }
    }

    /** Reports repeated items across the whole document. */
    static void unique(JsonNode document, ConfigReader reader) {
        unique(document, TREE, JsonPointer.empty(), reader);
    }

    // ---- reading the schema

    /** {@code keyword} of {@code schema}, or of what its {@code $ref} refers to. */
    private static JsonNode find(JsonNode schema, String keyword) {
        for (JsonNode node = schema; node != null; node = ref(node)) {
            if (node.has(keyword)) {
                return node.get(keyword);
            }
        }
        return null;
    }

    /** The schema of property {@code name} in {@code schema} (or what its {@code $ref} refers to), or null. */
    private static JsonNode property(JsonNode schema, String name) {
        for (JsonNode node = schema; node != null; node = ref(node)) {
            JsonNode property = node.path("properties").get(name);
            if (property != null) {
                return property;
            }
        }
        return null;
    }

    private static JsonNode ref(JsonNode schema) {
        return schema.has("$ref") ? TREE.at(schema.get("$ref").asText().substring(1)) : null;
    }

    private static List<String> known(JsonNode schema) {
        List<String> known = new ArrayList<>();
        find(schema, "properties").fieldNames().forEachRemaining(known::add);
        return known;
    }

    /** The schema node of the keyword that failed in {@code error}'s parent: the schema it belongs to. */
    private static JsonNode schemaAt(Error error) {
        List<JsonNode> chain = chain(error.getEvaluationPath());
        return chain.get(chain.size() - 2);
    }

    /** The schema nodes an evaluation path goes through, from the root to its keyword, following {@code $ref}s. */
    private static List<JsonNode> chain(NodePath path) {
        List<JsonNode> nodes = new ArrayList<>(List.of(TREE));
        JsonNode node = TREE;
        for (int i = 0; i < path.getNameCount(); i++) {
            String step = path.getName(i);
            node = step.equals("$ref") ? ref(node) : node.isArray() ? node.path(Integer.parseInt(step)) : node.path(step);
            nodes.add(node);
        }
        return nodes;
    }

    /** The index in {@link #chain} of the last node that moved on to another value of the document. */
    private static int lastInstanceStep(NodePath path) {
        int last = 0;
        for (int i = 0; i < path.getNameCount(); i++) {
            String step = path.getName(i);
            if (INSTANCE_STEPS.contains(step) && !(i > 0 && path.getName(i - 1).equals("properties"))) {
                last = step.equals("properties") ? i + 2 : i + 1;
            }
        }
        return last;
    }

    private static JsonPointer pointer(NodePath path) {
        JsonPointer pointer = JsonPointer.empty();
        for (int i = 0; i < path.getNameCount(); i++) {
            Object element = path.getElement(i);
            pointer = element instanceof Integer index ? pointer.appendIndex(index) : pointer.appendProperty(String.valueOf(element));
        }
        return pointer;
    }

    /** The known field {@code name} is probably a misspelling of, or null. */
    private static String closest(String name, List<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : known) {
            int distance = distance(name, candidate);
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return bestDistance <= 2 && bestDistance * 3 <= name.length() ? best : null;
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
}
