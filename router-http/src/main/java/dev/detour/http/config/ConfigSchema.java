package dev.detour.http.config;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
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
import dev.detour.core.policy.FailureKind;
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
 * The configuration's JSON Schema, {@code detour-config.schema.json} beside this class, its
 * vocabularies filled in from their enums. Before a document is checked, its camelCase keys become
 * kebab-case, fields written {@code null} are dropped (they take their default), vocabulary words are
 * matched ignoring case, {@code -} and {@code _}, and scalars are read as the type the schema wants
 * ({@code "8080"} as a number). Each error becomes one problem worded by the schema's annotations
 * ({@code x-what}, {@code x-message}, {@code x-missing}; see the schema's {@code $comment}), and the
 * value it flags becomes null, so that what is bound is valid.
 */
final class ConfigSchema {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNode TREE = load();
    private static final Schema SCHEMA = compile();
    /** The steps of an evaluation path that move on to another value of the document. */
    private static final Set<String> INSTANCE_STEPS = Set.of("properties", "items", "additionalProperties", "propertyNames");

    private ConfigSchema() {
    }

    private static JsonNode load() {
        try (InputStream in = ConfigSchema.class.getResourceAsStream("detour-config.schema.json")) {
            ObjectNode tree = (ObjectNode) JSON.readTree(in);
            ObjectNode defs = (ObjectNode) tree.get("$defs");
            Map.of("provider-type", ProviderConfig.Type.class, "continuation", ContinuationMode.class,
                    "balance", TierConfig.Balance.class, "mid-stream", RouteConfig.MidStream.class,
                    "validator", RouteConfig.Validator.class, "failure-kind", FailureKind.class,
                    "empty-answers", RouteConfig.EmptyAnswers.class, "failover-marker", RouteConfig.Marker.class,
                    "malformed-events", RouteConfig.Malformed.class)
                    .forEach((name, type) -> Words.words(type).forEach(((ObjectNode) defs.get(name)).putArray("enum")::add));
            return tree;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read detour-config.schema.json", e);
        }
    }

    private static Schema compile() {
        Dialect dialect = Dialect.builder(Dialects.getDraft202012())
                .format(format("detour-duration", text -> positive(ConfigReader.parseDuration(text))))
                .format(format("http-url", text -> text.isBlank() || isHttpUrl(text)))
                .keywords(List.of("x-what", "x-message", "x-missing", "x-unique", "x-unique-by", "x-ignore-case").stream()
                        .map(AnnotationKeyword::new).toList())
                .build();
        Schema schema = SchemaRegistry.withDialect(dialect, registry -> registry.schemaRegistryConfig(SchemaRegistryConfig.builder()
                        .formatAssertionsEnabled(true).pathType(PathType.JSON_POINTER).locale(Locale.ENGLISH).build()))
                .getSchema(TREE);
        schema.initializeValidators();
        schema.validate(JSON.createObjectNode().put("routes", 1));
        return schema;
    }

    private static boolean positive(Duration duration) {
        return duration != null && !duration.isNegative() && !duration.isZero();
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
            return uri.getScheme() != null && List.of("http", "https").contains(uri.getScheme().toLowerCase(Locale.ROOT))
                    && uri.getHost() != null && uri.getRawQuery() == null && uri.getRawFragment() == null;
        } catch (URISyntaxException e) {
            return false;
        }
    }

    /**
     * Normalizes {@code root}, checks it and reports each error to {@code reader}; returns it with the
     * values found invalid replaced by null, so that they take their defaults (null when the document
     * itself is invalid).
     */
    static JsonNode validate(JsonNode root, ConfigReader reader) {
        JsonNode document = normalize(root, TREE, JsonPointer.empty(), "", reader);
        List<Error> errors = SCHEMA.validate(document);
        Map<String, String> messages = new LinkedHashMap<>();
        Set<String> suggested = new HashSet<>();
        for (Error error : errors) {
            JsonPointer at = pointer(error.getInstanceLocation());
            String property = error.getProperty();
            if (error.getKeyword().equals("additionalProperties")) {
                suggested.add(at.appendProperty(String.valueOf(Words.closest(Words.kebab(property), known(owner(error))))).toString());
            }
            if (!error.getKeyword().equals("required")) {
                messages.putIfAbsent((property != null ? at.appendProperty(property) : at).toString(), message(error));
            }
        }
        List<String> invalid = List.copyOf(messages.keySet());
        for (Error error : errors) {
            String missing = pointer(error.getInstanceLocation()).appendProperty(String.valueOf(error.getProperty())).toString();
            if (error.getKeyword().equals("required") && !suggested.contains(missing)) {
                messages.putIfAbsent(missing, "missing (" + owner(error).path("x-missing").path(error.getProperty()).asText("required") + ")");
            }
        }
        messages.forEach((pointer, message) -> reader.schemaProblem(JsonPointer.compile(pointer), message));
        for (String invalidPointer : invalid) {
            JsonPointer pointer = JsonPointer.compile(invalidPointer);
            if (pointer.matches()) {
                return null;
            }
            JsonNode parent = document.at(pointer.head());
            if (parent instanceof ObjectNode object) {
                object.set(pointer.last().getMatchingProperty(), NullNode.getInstance());
            } else if (parent instanceof ArrayNode array) {
                array.set(pointer.last().getMatchingIndex(), NullNode.getInstance());
            }
        }
        return document;
    }

    /** What is wrong, in the words of the schema's annotations. */
    private static String message(Error error) {
        String keyword = error.getKeyword();
        List<JsonNode> chain = chain(error.getEvaluationPath());
        JsonNode node = chain.get(chain.size() - 2);
        JsonNode value = error.getInstanceNode();
        if (keyword.equals("additionalProperties")) {
            String suggestion = Words.closest(Words.kebab(error.getProperty()), known(node));
            boolean camel = !error.getProperty().equals(error.getProperty().toLowerCase(Locale.ROOT));
            return suggestion == null ? "unknown field (known: " + String.join(", ", known(node)) + ")"
                    : "unknown field (did you mean '" + (camel ? Words.camel(suggestion) : suggestion) + "'?)";
        }
        if (keyword.equals("propertyNames")) {
            return "'" + error.getProperty() + "' is not " + what(chain.subList(chain.size() - 1, chain.size()));
        }
        JsonNode custom = node.get("x-message");
        String text = custom == null || keyword.equals("type") ? null : custom.isTextual() ? custom.textValue() : custom.path(keyword).textValue();
        if (text != null) {
            return text.replace("{default-retry}", String.join(", ", FailureKind.DEFAULT_RETRY.stream().map(Words::word).toList()));
        }
        String what = what(chain.subList(lastInstanceStep(error.getEvaluationPath()), chain.size() - 1));
        if (keyword.equals("enum")) {
            what += " (known: " + String.join(", ", JSON.convertValue(node.get("enum"), String[].class)) + ")";
        }
        String type = find(node, "type") == null ? "" : find(node, "type").asText();
        if (value == null || !value.isValueNode() || value.isNull() || type.equals("object") || type.equals("array")) {
            return "expected " + what + ", got " + (value == null || value.isNull() ? "nothing"
                    : value.isObject() ? "a mapping" : value.isArray() ? "a list" : "'" + value.asText() + "'");
        }
        boolean duration = node.path("format").asText().equals("detour-duration") && ConfigReader.parseDuration(value.asText()) != null;
        return "'" + value.asText() + "' is not " + (duration ? "a positive duration" : what);
    }

    /** The first {@code x-what} of {@code nodes} (or of what they refer to), outermost first. */
    private static String what(List<JsonNode> nodes) {
        return nodes.stream().map(node -> find(node, "x-what")).filter(what -> what != null).findFirst()
                .map(JsonNode::asText).orElse("valid");
    }

    // ---- walking a document along the schema

    private static JsonNode normalize(JsonNode node, JsonNode schema, JsonPointer at, String path, ConfigReader reader) {
        reader.visit(at, path);
        if (node instanceof ObjectNode object) {
            Map<String, JsonNode> fields = new LinkedHashMap<>();
            Map<String, String> writtenAs = new HashMap<>();
            for (Map.Entry<String, JsonNode> entry : object.properties()) {
                String key = entry.getKey();
                String name = property(schema, key) == null && property(schema, Words.kebab(key)) != null ? Words.kebab(key) : key;
                String child = path.isEmpty() ? key : path + "." + key;
                if (property(schema, name) != null && entry.getValue().isNull()) {
                    continue;
                }
                if (writtenAs.containsKey(name)) {
                    reader.keyProblem(at.appendProperty(name), child, "given twice (also as '" + writtenAs.get(name) + "')");
                    continue;
                }
                writtenAs.put(name, key);
                JsonNode valueSchema = property(schema, name) != null ? property(schema, name) : find(schema, "additionalProperties");
                fields.put(name, normalize(entry.getValue(), valueSchema, at.appendProperty(name), child, reader));
            }
            return object.removeAll().setAll(fields);
        }
        if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                array.set(i, normalize(array.get(i), find(schema, "items"), at.appendIndex(i), path + "[" + i + "]", reader));
            }
            return array;
        }
        return scalar(node, schema);
    }

    /** {@code node} as the word and type {@code schema} wants, when it can be read so (never {@code 2.0} as a whole number). */
    private static JsonNode scalar(JsonNode node, JsonNode schema) {
        JsonNode options = find(schema, "enum");
        if (options != null && node.isTextual()) {
            for (JsonNode option : options) {
                if (Words.squash(option.asText()).equals(Words.squash(node.textValue()))) {
                    return option;
                }
            }
        }
        String type = find(schema, "type") == null ? "" : find(schema, "type").asText();
        String text = node.asText().trim();
        if (type.equals("string") && (node.isNumber() || node.isBoolean()) || type.equals("integer") && node.isFloatingPointNumber()) {
            return TextNode.valueOf(node.asText());
        }
        if ((type.equals("integer") || type.equals("number")) && node.isTextual() && text.matches("[-+]?\\d+(\\.\\d+)?")) {
            return text.contains(".") ? JsonNodeFactory.instance.numberNode(new BigDecimal(text))
                    : JsonNodeFactory.instance.numberNode(new BigInteger(text));
        }
        return type.equals("boolean") && node.isTextual() && text.matches("true|false") ? BooleanNode.valueOf(text.equals("true")) : node;
    }

    /** Reports repeated items (or keys) where the schema says {@code x-unique}, at the second one. */
    static void unique(JsonNode document, ConfigReader reader) {
        unique(document, TREE, JsonPointer.empty(), reader);
    }

    private static void unique(JsonNode node, JsonNode schema, JsonPointer at, ConfigReader reader) {
        JsonNode template = find(schema, "x-unique");
        JsonNode by = find(schema, "x-unique-by");
        boolean ignoreCase = find(schema, "x-ignore-case") != null;
        Set<String> seen = new HashSet<>();
        List<Map.Entry<JsonPointer, JsonNode>> children = new ArrayList<>();
        node.properties().forEach(field -> children.add(Map.entry(at.appendProperty(field.getKey()), field.getValue())));
        for (int i = 0; node.isArray() && i < node.size(); i++) {
            children.add(Map.entry(at.appendIndex(i), node.get(i)));
        }
        for (Map.Entry<JsonPointer, JsonNode> child : children) {
            JsonPointer where = by == null ? child.getKey() : child.getKey().appendProperty(by.asText());
            String name = node.isObject() ? child.getKey().last().getMatchingProperty()
                    : by == null ? child.getValue().textValue() : child.getValue().path(by.asText()).textValue();
            if (template != null && name != null && !seen.add(ignoreCase ? name.toLowerCase(Locale.ROOT) : name)) {
                reader.problem(where, template.asText().formatted(name));
            }
            String key = child.getKey().last().getMatchingProperty();
            JsonNode declared = node.isObject() ? property(schema, key) : null;
            JsonNode childSchema = declared != null ? declared : find(schema, node.isObject() ? "additionalProperties" : "items");
            if (childSchema != null) {
                unique(child.getValue(), childSchema, child.getKey(), reader);
            }
        }
    }

    // ---- reading the schema

    /** {@code keyword} of {@code schema}, or of what its {@code $ref} refers to; null if none. */
    private static JsonNode find(JsonNode schema, String keyword) {
        for (JsonNode node = schema; node != null; node = ref(node)) {
            if (node.has(keyword)) {
                return node.get(keyword);
            }
        }
        return null;
    }

    /** The schema of property {@code name} in {@code schema} (or in what its {@code $ref} refers to), or null. */
    private static JsonNode property(JsonNode schema, String name) {
        for (JsonNode node = schema; node != null; node = ref(node)) {
            if (node.path("properties").has(name)) {
                return node.path("properties").get(name);
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

    /** The schema whose keyword failed in {@code error}. */
    private static JsonNode owner(Error error) {
        List<JsonNode> chain = chain(error.getEvaluationPath());
        return chain.get(chain.size() - 2);
    }

    /** The schema nodes an evaluation path goes through, from the root to its keyword, following {@code $ref}s. */
    private static List<JsonNode> chain(NodePath path) {
        List<JsonNode> nodes = new ArrayList<>(List.of(TREE));
        for (int i = 0; i < path.getNameCount(); i++) {
            JsonNode node = nodes.get(nodes.size() - 1);
            String step = path.getName(i);
            nodes.add(step.equals("$ref") ? ref(node) : node.isArray() ? node.path(Integer.parseInt(step)) : node.path(step));
        }
        return nodes;
    }

    /** The index in {@link #chain} of the first node about the value the path ends at. */
    private static int lastInstanceStep(NodePath path) {
        int last = 0;
        for (int i = 0; i < path.getNameCount(); i++) {
            if (INSTANCE_STEPS.contains(path.getName(i)) && !(i > 0 && path.getName(i - 1).equals("properties"))) {
                last = path.getName(i).equals("properties") ? i + 2 : i + 1;
            }
        }
        return last;
    }

    private static JsonPointer pointer(NodePath path) {
        JsonPointer pointer = JsonPointer.empty();
        for (int i = 0; i < path.getNameCount(); i++) {
            pointer = path.getElement(i) instanceof Integer index ? pointer.appendIndex(index) : pointer.appendProperty(path.getName(i));
        }
        return pointer;
    }
}
