package dev.detour.llm.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.InvalidChatException;
import dev.detour.llm.Json;
import java.util.List;

/**
 * The Anthropic Messages API as a front door: what a client speaking it sends, decoded into the canonical
 * (OpenAI-shaped) request, and the canonical answer, stream and errors encoded back in Anthropic's wire
 * format. The mirror image of {@link AnthropicTranslation}, which speaks to Anthropic as a provider.
 *
 * <p><b>Requests.</b> {@code system} (a string or text blocks) becomes a system message; {@code messages}
 * keep their roles, with text and image blocks as content parts (a base64 image as a {@code data:} URL),
 * an assistant's {@code tool_use} blocks as {@code tool_calls}, a user's {@code tool_result} blocks as
 * {@code tool} messages placed before the rest of that user turn ({@code is_error} prefixes the result
 * with {@code Error: }); {@code tools} become functions, {@code tool_choice}
 * {@code auto}/{@code any}/{@code tool}/{@code none} becomes {@code auto}/{@code required}/a named
 * function/{@code none} ({@code disable_parallel_tool_use} becomes {@code parallel_tool_calls: false});
 * {@code stop_sequences} becomes {@code stop}, {@code metadata.user_id} {@code user}; {@code max_tokens},
 * {@code temperature}, {@code top_p} and {@code stream} keep their names. What only Anthropic understands
 * goes into {@link ChatRequest#ANTHROPIC_FIELDS}, which an Anthropic provider reads and every other
 * provider leaves out: system blocks carrying more than text (e.g. {@code cache_control}) are sent as they
 * came; {@code thinking} (with its budget), {@code top_k} and unknown top-level fields are passed on; an
 * assistant turn holding thinking blocks or {@code cache_control} marks is sent as it came (thinking goes back
 * with its signature, in place); {@code cache_control} on user text and image blocks, tool results and tools
 * is kept on the blocks they become. An OpenAI-compatible provider gets none of these. Server tools,
 * documents and other block types are refused as a 400 naming the field.
 *
 * <p><b>Answers and streams.</b> See {@link #message} and {@link StreamEncoder}. An Anthropic provider's
 * thinking ({@link ChatResponse#thinking()}, {@link ChatChunk#thinking()}) comes back as it was sent; an
 * OpenAI-compatible provider's {@code reasoning_content} does not (it has no signature to send back).
 */
public final class AnthropicDoor {

    private AnthropicDoor() {
    }

    /** One server-sent event of an Anthropic stream: its {@code event:} name and its data. */
    public record Event(String name, ObjectNode data) {
    }

    /**
     * Turns one canonical chunk stream into Anthropic's events: {@code message_start} (with the first
     * chunk's id, prefixed {@code msg_}, and model) and a {@code ping} before anything else; a
     * {@code content_block_start} of type {@code text} or {@code tool_use} when a block begins (closing the
     * previous one with {@code content_block_stop}), then {@code content_block_delta}s of
     * {@code text_delta} or {@code input_json_delta}; a thinking or redacted-thinking block likewise, with
     * {@code thinking_delta}s and a {@code signature_delta}; block indexes count every block sent, across
     * failovers; at {@link #end()}, the last {@code content_block_stop},
     * {@code message_delta} with the stop reason and the usage reported, and {@code message_stop}.
     */
    public interface StreamEncoder {

        /** The events {@code chunk} adds (maybe none). */
        List<Event> next(ChatChunk chunk);

        /** The events that end a stream whose chunks have all been given. */
        List<Event> end();
    }

    /**
     * The canonical request for an Anthropic Messages request body, as described above.
     *
     * @throws InvalidChatException naming the field that is wrong or has no canonical equivalent
     */
    public static ChatRequest request(ObjectNode body) {
        return AnthropicRequestDecoder.request(body);
    }

    /**
     * The Anthropic {@code message} object for a canonical answer: its thinking blocks first, its text as one
     * text block, its tool calls as {@code tool_use} blocks, the {@link #stopReason stop reason} and usage (cached prompt tokens
     * as {@code cache_read_input_tokens}).
     */
    public static ObjectNode message(ChatResponse response) {
        return AnthropicAnswerEncoder.message(response);
    }

    /** A fresh encoder for one stream. */
    public static StreamEncoder stream() {
        return new AnthropicStreamEncoder();
    }

    /**
     * The Anthropic stop reason for a canonical finish reason: {@code length} is {@code max_tokens},
     * {@code tool_calls} {@code tool_use}, {@code content_filter} {@code refusal}, anything else
     * (null included) {@code end_turn}.
     */
    public static String stopReason(String finishReason) {
        return AnthropicAnswerEncoder.stopReason(finishReason);
    }

    /**
     * The Anthropic error type for an HTTP status: 400 {@code invalid_request_error}, 401
     * {@code authentication_error}, 402 {@code billing_error}, 403 {@code permission_error}, 404
     * {@code not_found_error}, 413 {@code request_too_large}, 429 {@code rate_limit_error}, 503 and 529
     * {@code overloaded_error}, 504 {@code timeout_error}, any other {@code api_error} (any other 4xx
     * {@code invalid_request_error}).
     */
    public static String errorType(int status) {
        switch (status) {
            case 400:
                return "invalid_request_error";
            case 401:
                return "authentication_error";
            case 402:
                return "billing_error";
            case 403:
                return "permission_error";
            case 404:
                return "not_found_error";
            case 413:
                return "request_too_large";
            case 429:
                return "rate_limit_error";
            case 503:
            case 529:
                return "overloaded_error";
            case 504:
                return "timeout_error";
            default:
                return status >= 400 && status < 500 ? "invalid_request_error" : "api_error";
        }
    }

    /** {@code {"type":"error","error":{"type":…,"message":…}}} for an error of {@code status}. */
    public static ObjectNode error(int status, String message) {
        ObjectNode body = Json.newObject().put("type", "error");
        body.putObject("error").put("type", errorType(status)).put("message", message);
        return body;
    }

    /**
     * An estimate of the input tokens of a Messages request (what {@code count_tokens} answers when no
     * provider can count): a token per four characters of its system prompt, messages and tools as JSON,
     * at least one.
     */
    public static long estimateInputTokens(ObjectNode body) {
        long chars = 0;
        for (String field : new String[] {"system", "messages", "tools"}) {
            JsonNode value = body.get(field);
            if (value != null && !value.isNull()) {
                chars += value.isTextual() ? value.asText().length() : value.toString().length();
            }
        }
        return Math.max(1, (chars + 3) / 4);
    }
}
