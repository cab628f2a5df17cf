package dev.detour.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A chat request in the OpenAI chat-completions shape ({@code model}, {@code messages}, {@code tools},
 * {@code response_format}, sampling options, {@code stream} …). It wraps the JSON as received, so every
 * field, known to Detour or not, is passed on to the provider. Immutable: the {@code with…} methods
 * return changed copies.
 */
public final class ChatRequest {

    /**
     * The field of a canonical request, and of its messages, parts, tool calls and tools, holding what only an
     * Anthropic provider can use (a request that came through the Anthropic door: its raw {@code system}
     * blocks with {@code cache_control}, {@code top_k}, {@code thinking}, fields without a canonical
     * equivalent; an assistant turn's blocks as sent when they hold thinking; {@code cache_control} marks);
     * every other dialect leaves it out. In answers and chunks it holds thinking blocks
     * ({@link ChatResponse#thinking()}, {@link ChatChunk#thinking()}).
     */
    public static final String ANTHROPIC_FIELDS = "x_anthropic";

    private static final String INSTRUCTION = "Your previous answer was cut off. Continue it from exactly where it "
            + "stopped, without repeating anything already written and without any preamble.";

    private final ObjectNode json;
    private final String partial;
    private final ContinuationMode form;

    private ChatRequest(ObjectNode json) {
        this(json, null, null);
    }

    private ChatRequest(ObjectNode json, String partial, ContinuationMode form) {
        this.json = json;
        this.partial = partial;
        this.form = form;
    }

    /**
     * Reads and checks a request body: a JSON object with a non-empty string {@code model} and a
     * non-empty array {@code messages} of objects that each have a string {@code role}.
     *
     * @throws InvalidChatException naming the field that is wrong
     */
    public static ChatRequest parse(byte[] body) {
        return of(Json.object(body, "request body"));
    }

    /** Checks and wraps {@code json} (which the request then owns). */
    public static ChatRequest of(ObjectNode json) {
        JsonNode model = json.get("model");
        if (model == null || !model.isTextual() || model.asText().isBlank()) {
            throw new InvalidChatException("'model' is required and must be a non-empty string");
        }
        JsonNode messages = json.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw new InvalidChatException("'messages' is required and must be a non-empty array");
        }
        for (int i = 0; i < messages.size(); i++) {
            JsonNode message = messages.get(i);
            if (!message.isObject() || !message.path("role").isTextual()) {
                throw new InvalidChatException("'messages[" + i + "].role' is required and must be a string");
            }
        }
        JsonNode stream = json.get("stream");
        if (stream != null && !stream.isBoolean() && !stream.isNull()) {
            throw new InvalidChatException("'stream' must be a boolean");
        }
        return new ChatRequest(json);
    }

    /** A request of {@code model} with one user message. */
    public static ChatRequest user(String model, String content) {
        ObjectNode json = Json.newObject();
        json.put("model", Objects.requireNonNull(model, "model"));
        json.putArray("messages").addObject().put("role", "user").put("content", content);
        return new ChatRequest(json);
    }

    /** The model (or route alias) asked for. */
    public String model() {
        return json.get("model").asText();
    }

    /** Whether the caller asked for a stream of chunks. */
    public boolean stream() {
        return json.path("stream").asBoolean(false);
    }

    /** The messages, as JSON (do not change them). */
    public ArrayNode messages() {
        return (ArrayNode) json.get("messages");
    }

    /** The {@code response_format}, or a missing node. */
    public JsonNode responseFormat() {
        return json.path("response_format");
    }

    /** The request as JSON: a read-only view (change it through the {@code with…} methods, which copy). */
    public JsonNode json() {
        return json;
    }

    /**
     * A copy without {@link #ANTHROPIC_FIELDS}, at the top and wherever the Anthropic door put them (in
     * messages, their content parts and tool calls, and tools); itself when it has none.
     */
    public ChatRequest withoutAnthropicFields() {
        if (!json.has(ANTHROPIC_FIELDS) && !nestedAnthropicFields(json, false)) {
            return this;
        }
        ObjectNode copy = json.deepCopy();
        copy.remove(ANTHROPIC_FIELDS);
        nestedAnthropicFields(copy, true);
        return new ChatRequest(copy, partial, form);
    }

    /** Whether messages, parts, tool calls or tools carry {@link #ANTHROPIC_FIELDS}; removes them when {@code remove}. */
    private static boolean nestedAnthropicFields(JsonNode json, boolean remove) {
        boolean found = false;
        for (JsonNode message : json.path("messages")) {
            found |= anthropicFields(message, remove);
            for (JsonNode part : message.path("content")) {
                found |= anthropicFields(part, remove);
            }
            for (JsonNode call : message.path("tool_calls")) {
                found |= anthropicFields(call, remove);
            }
            if (found && !remove) {
                return true;
            }
        }
        for (JsonNode tool : json.path("tools")) {
            found |= anthropicFields(tool, remove);
        }
        return found;
    }

    private static boolean anthropicFields(JsonNode node, boolean remove) {
        if (!node.has(ANTHROPIC_FIELDS)) {
            return false;
        }
        if (remove) {
            ((ObjectNode) node).remove(ANTHROPIC_FIELDS);
        }
        return true;
    }

    /** A copy asking for {@code model}. */
    public ChatRequest withModel(String model) {
        if (model.equals(model())) {
            return this;
        }
        ObjectNode copy = json.deepCopy();
        copy.put("model", model);
        return new ChatRequest(copy, partial, form);
    }

    /** A copy that asks, or does not ask, for a stream (with usage in the last chunk when it does). */
    public ChatRequest withStream(boolean stream) {
        if (stream == stream() && (!stream || json.path("stream_options").path("include_usage").asBoolean(false))) {
            return this;
        }
        ObjectNode copy = json.deepCopy();
        copy.put("stream", stream);
        if (stream) {
            ObjectNode options = copy.withObjectProperty("stream_options");
            options.put("include_usage", true);
        } else {
            copy.remove("stream_options");
        }
        return new ChatRequest(copy, partial, form);
    }

    /**
     * A copy that asks the model to continue an answer cut off after {@code partial}, in
     * {@link ContinuationMode#PREFILL} form until {@link #continuedAs} says otherwise; a provider sends
     * it as {@link #rendered()} says.
     */
    public ChatRequest continuing(String partial) {
        return new ChatRequest(json, Objects.requireNonNull(partial, "partial"), ContinuationMode.PREFILL);
    }

    /** A continuation request in {@code form} ({@link ContinuationMode#PREFILL} or {@link ContinuationMode#INSTRUCTION}). */
    public ChatRequest continuedAs(ContinuationMode form) {
        if (partial == null || form == ContinuationMode.NONE) {
            throw new IllegalStateException("not a continuation request, or no form to send it in: " + form);
        }
        return form == this.form ? this : new ChatRequest(json, partial, form);
    }

    /** The partial answer this request asks to continue, or null when it asks for a new one. */
    public String partial() {
        return partial;
    }

    /** The form a continuation request is sent in, or null when it is not one. */
    public ContinuationMode continuation() {
        return form;
    }

    /**
     * The request as a provider sends it: for a continuation, the messages end with the partial answer as
     * an assistant message (without trailing whitespace, which Anthropic refuses in a prefill), followed in
     * {@link ContinuationMode#INSTRUCTION} form by a user message asking to go on from exactly there.
     */
    public ChatRequest rendered() {
        return rendered(fields -> { });
    }

    /**
     * Like {@link #rendered()}; for a {@link ContinuationMode#PREFILL} continuation, {@code prefill} may add
     * to the rendered copy the fields a dialect needs to say so.
     */
    public ChatRequest rendered(Consumer<ObjectNode> prefill) {
        if (partial == null) {
            return this;
        }
        ObjectNode copy = json.deepCopy();
        ArrayNode messages = (ArrayNode) copy.get("messages");
        messages.addObject().put("role", "assistant").put("content", partial.stripTrailing());
        if (form == ContinuationMode.INSTRUCTION) {
            messages.addObject().put("role", "user").put("content", INSTRUCTION);
        } else {
            prefill.accept(copy);
        }
        return new ChatRequest(copy);
    }

    @Override
    public String toString() {
        return "ChatRequest[model=" + model() + ", messages=" + messages().size() + ", stream=" + stream()
                + (partial == null ? "" : ", continuing " + partial.length() + " chars as " + form) + "]";
    }
}
