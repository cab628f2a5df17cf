package dev.detour.llm.validate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.PathType;
import dev.detour.core.Failure;
import dev.detour.core.RequestValidator;
import dev.detour.core.Validator;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.Json;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

/**
 * Checks of chat answers ({@link ChatResponse}) for a route's {@code validate(...)}: a rejected answer
 * falls back, so in a quality cascade it escalates to the next, stronger model. Each check looks at
 * the first choice, as {@link ChatResponse} does. Every check is thread-safe and allocates no
 * failure for a fixed reason.
 *
 * <p>An answer that calls tools and has no text is accepted by the checks of its content
 * ({@link #validJson()}, {@link #matchesRequestedFormat()}): the model chose to call a tool, and the
 * caller runs it before any JSON is due.
 */
public final class ChatValidators {

    private static final Optional<Failure> EMPTY = Optional.of(Failure.empty("empty content"));
    private static final Optional<Failure> CUT_OFF = Optional.of(Failure.invalid("answer cut off: finish_reason length"));
    private static final Optional<Failure> FILTERED =
            Optional.of(Failure.invalid("answer filtered: finish_reason content_filter"));
    private static final Optional<Failure> REFUSAL = Optional.of(Failure.invalid("refusal"));
    private static final Optional<Failure> NO_JSON = Optional.of(Failure.invalid("content is not valid JSON: no content"));

    private static final ObjectReader STRICT_READER =
            Json.strictReader();

    private static final List<String> REFUSAL_OPENINGS = List.of(
            "I'm sorry, but I can't", "I'm sorry, but I cannot", "I cannot help with", "I can't help with",
            "I cannot assist with", "I can't assist with", "As an AI");

    /** How many schema validation messages a rejection lists. */
    static final int MESSAGES_SHOWN = 3;

    private ChatValidators() {
    }

    /**
     * Rejects, as {@code EMPTY} ({@code empty content}), an answer whose first choice has no text
     * (null or blank content) and calls no tools. An answer with no choice at all is empty too.
     */
    public static Validator<ChatResponse> nonEmpty() {
        return answer -> {
            String content = answer.content();
            return (content == null || content.isBlank()) && !answer.hasToolCalls() ? EMPTY : Optional.empty();
        };
    }

    /**
     * Rejects, as {@code INVALID}, an answer that did not finish normally: finish reason
     * {@code length} ({@code answer cut off: finish_reason length}) or {@code content_filter}
     * ({@code answer filtered: finish_reason content_filter}). Any other finish reason, or none,
     * passes.
     */
    public static Validator<ChatResponse> finishedNormally() {
        return answer -> {
            String reason = answer.finishReason();
            if ("length".equals(reason)) {
                return CUT_OFF;
            }
            return "content_filter".equals(reason) ? FILTERED : Optional.empty();
        };
    }

    /**
     * Rejects, as {@code INVALID} ({@code content is not valid JSON: <parser message>}), an answer
     * whose content is not exactly one JSON value (object, array, string, number, boolean or null).
     * Whitespace around it is tolerated, and so is a single Markdown code fence around the whole
     * content ({@code ```json ... ```} or {@code ``` ... ```}), since models often answer that way;
     * {@link #jsonText(String)} gives the JSON inside. No content, or blank content, is rejected
     * ({@code content is not valid JSON: no content}) unless the answer calls tools.
     */
    public static Validator<ChatResponse> validJson() {
        return answer -> {
            String text = jsonText(answer.content());
            if (text == null || text.isEmpty()) {
                return answer.hasToolCalls() ? Optional.empty() : NO_JSON;
            }
            try {
                return parse(text) == null ? NO_JSON : Optional.empty();
            } catch (JsonProcessingException e) {
                return Optional.of(notJson(e));
            }
        };
    }

    /**
     * The JSON text of an answer's {@code content} as {@link #validJson()} reads it: without the
     * whitespace around it and, when the whole content is one Markdown code fence tagged {@code json}
     * or untagged, without the fence. Null for null.
     */
    public static String jsonText(String content) {
        if (content == null) {
            return null;
        }
        String text = content.strip();
        if (!text.startsWith("```") || !text.endsWith("```") || text.length() < 6) {
            return text;
        }
        int lineEnd = text.indexOf('\n');
        if (lineEnd < 0) {
            return text;
        }
        String tag = text.substring(3, lineEnd).strip();
        if (!tag.isEmpty() && !tag.equalsIgnoreCase("json")) {
            return text;
        }
        int close = text.length() - 3;
        return close <= lineEnd ? "" : text.substring(lineEnd + 1, close).strip();
    }

    /**
     * Checks the answer against the {@code response_format} its request asked for, rejecting as
     * {@code INVALID}:
     * <ul>
     *   <li>{@code {"type":"json_object"}}: content that is not valid JSON
     *       ({@code content is not valid JSON: ...}) or not a JSON object
     *       ({@code content is not a JSON object: found array});</li>
     *   <li>{@code {"type":"json_schema","json_schema":{"schema":{...}}}}: content that is not valid
     *       JSON, or does not validate against the schema
     *       ({@code content does not match the requested schema: $.age: string found, integer expected},
     *       listing the first three messages and how many more there are).</li>
     * </ul>
     * Any other format, or none, passes. The content must be bare JSON (whitespace around it is
     * tolerated, a code fence is not): the caller asked for a machine-readable answer and will parse
     * the content as it is. An answer that calls tools and has no text passes.
     *
     * <p>A schema is read in the dialect its {@code $schema} names (2020-12 when it names none, as
     * OpenAI's structured outputs do), checked against that dialect's meta-schema, and compiled once:
     * compiled schemas are cached, keyed by their JSON, up to 256 distinct schemas shared by every
     * route (past that an arbitrary entry is evicted). Remote {@code $ref}s are never fetched.
     *
     * <p>A schema that is not valid (it fails its meta-schema, names an unknown dialect, has an
     * unresolvable {@code $ref} or a bad {@code pattern}), or a {@code json_schema} format without a
     * {@code schema}, is the caller's mistake, not the provider's: falling back would fail every
     * provider the same way, so the content then only has to be valid JSON.
     */
    public static RequestValidator<ChatRequest, ChatResponse> matchesRequestedFormat() {
        return matchesRequestedFormat(SchemaCache.SHARED);
    }

    static RequestValidator<ChatRequest, ChatResponse> matchesRequestedFormat(SchemaCache schemas) {
        Objects.requireNonNull(schemas, "schemas");
        return (request, answer) -> {
            JsonNode format = request.responseFormat();
            String type = format.path("type").asText("");
            boolean jsonObject = type.equals("json_object");
            if (!jsonObject && !type.equals("json_schema")) {
                return Optional.empty();
            }
            String content = answer.content();
            if (content == null || content.isBlank()) {
                return answer.hasToolCalls() ? Optional.empty() : NO_JSON;
            }
            JsonNode value;
            try {
                value = parse(content.strip());
            } catch (JsonProcessingException e) {
                return Optional.of(notJson(e));
            }
            if (value == null) {
                return NO_JSON;
            }
            if (jsonObject) {
                return value.isObject() ? Optional.empty()
                        : Optional.of(Failure.invalid("content is not a JSON object: found "
                                + value.getNodeType().name().toLowerCase(Locale.ROOT)));
            }
            JsonNode schema = format.path("json_schema").get("schema");
            if (schema == null) {
                return Optional.empty();
            }
            return schemas.get(schema).check(value);
        };
    }

    /**
     * Rejects, as {@code INVALID} ({@code refusal}), an answer whose message carries a structured
     * refusal (a non-null {@code refusal} field, as OpenAI sends), or whose content
     * {@code isRefusal} holds a refusal. {@code isRefusal} is given non-null content only; see
     * {@link #commonRefusals()}.
     */
    public static Validator<ChatResponse> noRefusal(Predicate<String> isRefusal) {
        Objects.requireNonNull(isRefusal, "isRefusal");
        return answer -> {
            JsonNode refusal = answer.json().path("choices").path(0).path("message").get("refusal");
            if (refusal != null && !refusal.isNull()) {
                return REFUSAL;
            }
            String content = answer.content();
            return content != null && isRefusal.test(content) ? REFUSAL : Optional.empty();
        };
    }

    /**
     * A simple test for typical refusals: content that opens (after leading whitespace), ignoring
     * case, with {@code I'm sorry, but I can't} or {@code ... I cannot}, {@code I cannot help with},
     * {@code I can't help with}, {@code I cannot assist with}, {@code I can't assist with} or
     * {@code As an AI}, followed by the end of the text or a character that is not a letter or digit
     * (so {@code I cannot help without ...} is not a refusal). A typographic apostrophe ({@code ’})
     * counts as {@code '}.
     */
    public static Predicate<String> commonRefusals() {
        return ChatValidators::opensWithRefusal;
    }

    private static boolean opensWithRefusal(String content) {
        int start = 0;
        while (start < content.length() && Character.isWhitespace(content.charAt(start))) {
            start++;
        }
        for (String opening : REFUSAL_OPENINGS) {
            if (opens(content, start, opening)) {
                return true;
            }
        }
        return false;
    }

    private static boolean opens(String content, int start, String opening) {
        int end = start + opening.length();
        if (end > content.length()) {
            return false;
        }
        for (int i = 0; i < opening.length(); i++) {
            char c = content.charAt(start + i);
            char o = opening.charAt(i);
            if (c == '\u2019') {
                c = '\'';
            }
            if (c != o && Character.toLowerCase(c) != Character.toLowerCase(o)) {
                return false;
            }
        }
        return end == content.length() || !Character.isLetterOrDigit(content.charAt(end));
    }

    /** The one JSON value {@code text} holds, or null when it holds none. */
    private static JsonNode parse(String text) throws JsonProcessingException {
        JsonNode node = STRICT_READER.readTree(text);
        return node == null || node.isMissingNode() ? null : node;
    }

    private static Failure notJson(JsonProcessingException e) {
        return Failure.invalid("content is not valid JSON: " + Json.firstLine(e.getOriginalMessage()));
    }

    /**
     * Compiled JSON schemas, keyed by (a copy of) their JSON, so a schema is compiled on its first use
     * only. It holds {@code capacity} schemas: a miss when it is full evicts an arbitrary entry first
     * (misses at the same moment may pass the capacity by one each, until the next miss).
     */
    static final class SchemaCache {

        static final int DEFAULT_CAPACITY = 256;

        private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(
                SpecificationVersion.DRAFT_2020_12,
                builder -> builder
                        .schemaRegistryConfig(SchemaRegistryConfig.builder()
                                .pathType(PathType.LEGACY).locale(Locale.ENGLISH).build())
                        .schemaLoader(loader -> loader.fetchRemoteResources(false)));

        private static final Map<SpecificationVersion, Schema> META_SCHEMAS = metaSchemas();

        static final SchemaCache SHARED = new SchemaCache(DEFAULT_CAPACITY);

        private final int capacity;
        private final ConcurrentHashMap<JsonNode, Compiled> compiled = new ConcurrentHashMap<>();
        private final LongAdder compilations = new LongAdder();

        SchemaCache(int capacity) {
            if (capacity < 1) {
                throw new IllegalArgumentException("capacity must be at least 1, was " + capacity);
            }
            this.capacity = capacity;
        }

        /**
         * Loads the meta-schemas and the validation messages now, from the class path, rather than on a
         * request's (non-blocking) thread.
         */
        private static Map<SpecificationVersion, Schema> metaSchemas() {
            Map<SpecificationVersion, Schema> metas = new EnumMap<>(SpecificationVersion.class);
            for (SpecificationVersion version : SpecificationVersion.values()) {
                Schema meta = REGISTRY.getSchema(SchemaLocation.of(version.getDialectId()));
                meta.initializeValidators();
                metas.put(version, meta);
            }
            metas.get(SpecificationVersion.DRAFT_2020_12).validate(JsonNodeFactory.instance.numberNode(0))
                    .forEach(Error::getMessage);
            return metas;
        }

        Compiled get(JsonNode schema) {
            Compiled known = compiled.get(schema);
            if (known != null) {
                return known;
            }
            Iterator<JsonNode> keys = compiled.keySet().iterator();
            while (compiled.size() >= capacity && keys.hasNext()) {
                keys.next();
                keys.remove();
            }
            return compiled.computeIfAbsent(schema.deepCopy(), this::compile);
        }

        private Compiled compile(JsonNode schema) {
            compilations.increment();
            if (!schema.isObject() && !schema.isBoolean()) {
                return Compiled.INVALID;
            }
            SpecificationVersion version = dialect(schema.get("$schema"));
            if (version == null) {
                return Compiled.INVALID;
            }
            try {
                if (!META_SCHEMAS.get(version).validate(schema).isEmpty()) {
                    return Compiled.INVALID;
                }
                Schema compiledSchema = REGISTRY.getSchema(schema);
                compiledSchema.initializeValidators();
                return new Compiled(compiledSchema);
            } catch (RuntimeException e) {
                return Compiled.INVALID;
            }
        }

        /** The version {@code $schema} names (with or without a trailing '#'), 2020-12 when absent, null when unknown. */
        private static SpecificationVersion dialect(JsonNode id) {
            if (id == null) {
                return SpecificationVersion.DRAFT_2020_12;
            }
            String named = withoutHash(id.asText());
            for (SpecificationVersion version : SpecificationVersion.values()) {
                if (withoutHash(version.getDialectId()).equals(named)) {
                    return version;
                }
            }
            return null;
        }

        private static String withoutHash(String id) {
            return id.endsWith("#") ? id.substring(0, id.length() - 1) : id;
        }

        /** How many schemas this cache has compiled, counting recompilations after eviction. */
        long compilations() {
            return compilations.sum();
        }

        /** How many compiled schemas it holds. */
        int size() {
            return compiled.size();
        }
    }

    /** A compiled schema, or the mark of a schema that is not valid (which accepts any JSON). */
    static final class Compiled {

        static final Compiled INVALID = new Compiled(null);

        private final Schema schema;

        Compiled(Schema schema) {
            this.schema = schema;
        }

        boolean valid() {
            return schema != null;
        }

        Optional<Failure> check(JsonNode value) {
            if (schema == null) {
                return Optional.empty();
            }
            List<Error> errors;
            try {
                errors = schema.validate(value);
            } catch (RuntimeException e) {
                return Optional.empty();
            }
            if (errors.isEmpty()) {
                return Optional.empty();
            }
            StringBuilder reason = new StringBuilder("content does not match the requested schema: ");
            int shown = Math.min(errors.size(), MESSAGES_SHOWN);
            for (int i = 0; i < shown; i++) {
                Error error = errors.get(i);
                if (i > 0) {
                    reason.append("; ");
                }
                reason.append(error.getInstanceLocation()).append(": ").append(error.getMessage());
            }
            if (errors.size() > shown) {
                reason.append(" (and ").append(errors.size() - shown).append(" more)");
            }
            return Optional.of(Failure.invalid(reason.toString()));
        }
    }
}
