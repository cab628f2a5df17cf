package dev.detour.llm.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.core.ProviderException;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.InvalidChatException;
import dev.detour.llm.internal.EventDecoder;
import dev.detour.llm.internal.HttpFailures;
import dev.detour.llm.internal.SseEvent;
import dev.detour.llm.internal.SseException;
import reactor.core.publisher.Flux;

/**
 * Translation between Detour's canonical chat shape (OpenAI chat completions) and the Anthropic
 * Messages API: requests one way, answers, stream events and errors the other.
 *
 * <p><b>Requests.</b> What the Anthropic door kept in {@link ChatRequest#ANTHROPIC_FIELDS} is sent as it came:
 * system blocks, {@code thinking}, {@code top_k}, unknown top-level fields, an assistant turn's blocks when they
 * hold thinking, and {@code cache_control} on content blocks, tool results and tools; {@code thinking} is left
 * out of a request answering tool results in a turn whose first assistant message did not think (an
 * OpenAI-compatible provider began the loop), as Anthropic keeps one thinking configuration per turn. Mapped: {@code model}, {@code messages}, {@code max_completion_tokens} /
 * {@code max_tokens}, {@code temperature} (capped at 1, Anthropic's maximum), {@code top_p},
 * {@code top_k}, {@code stop}, {@code tools} (of type {@code function}), {@code tool_choice},
 * {@code parallel_tool_calls: false}, {@code stream} and {@code user}. System and developer messages
 * become the {@code system} prompt; tool messages become {@code tool_result} blocks; consecutive
 * messages of one role are merged, because Anthropic requires user and assistant to alternate.
 * Dropped, because Anthropic rejects fields it does not know and has no equivalent: every other field,
 * in particular {@code n}, {@code frequency_penalty}, {@code presence_penalty}, {@code logit_bias},
 * {@code logprobs}, {@code top_logprobs}, {@code seed}, {@code response_format},
 * {@code stream_options}, {@code store}, {@code metadata}, {@code service_tier},
 * {@code reasoning_effort}, {@code modalities}, {@code audio}, {@code prediction},
 * {@code web_search_options} and the legacy {@code functions} / {@code function_call}; and a message's
 * {@code name}. What cannot be translated without changing the request's meaning (an unknown role or
 * content part, a tool that is not a function, tool-call arguments that are not a JSON object, an
 * image URL that is neither {@code data:…;base64,} nor http(s)) is an {@link InvalidChatException}
 * naming the field.
 *
 * <p><b>Answers.</b> Text blocks are joined into {@code message.content}, {@code tool_use} blocks become
 * {@code message.tool_calls}, thinking and redacted-thinking blocks are kept as they came in
 * {@code message.x_anthropic.thinking} ({@link ChatResponse#thinking()}), other blocks (server tools) are dropped; stop reasons map to
 * finish reasons ({@link #finishReason}); usage counts cached input tokens as prompt tokens, as OpenAI
 * does, and reports the cache reads as {@code prompt_tokens_details.cached_tokens}.
 *
 * <p><b>Streams.</b> See {@link #chunks(Flux)}.
 */
final class AnthropicTranslation {

    /** The {@code anthropic-version} header value this translation is written for. */
    public static final String API_VERSION = "2023-06-01";

    private AnthropicTranslation() {
    }

    /**
     * The Anthropic Messages request for {@code request}.
     *
     * @param model            the model to ask for; null for the request's own
     * @param defaultMaxTokens {@code max_tokens} when the request sets neither {@code max_completion_tokens}
     *                         nor {@code max_tokens}
     * @throws InvalidChatException naming the field that has no Anthropic equivalent
     */
    public static ObjectNode request(ChatRequest request, String model, int defaultMaxTokens) {
        return AnthropicRequestEncoder.request(request, model, defaultMaxTokens);
    }

    /**
     * The canonical answer for an Anthropic {@code message} object.
     *
     * @throws InvalidChatException when {@code message} is not a message (its {@code type} is not {@code message})
     */
    public static ChatResponse response(ObjectNode message) {
        return AnthropicAnswerDecoder.response(message);
    }

    /**
     * The canonical finish reason for an Anthropic stop reason: {@code end_turn}, {@code stop_sequence}
     * and {@code pause_turn} are {@code stop}; {@code max_tokens} and {@code model_context_window_exceeded}
     * are {@code length}; {@code tool_use} is {@code tool_calls}; {@code refusal} is {@code content_filter};
     * null stays null and any other reason is {@code stop}.
     */
    public static String finishReason(String stopReason) {
        return AnthropicAnswerDecoder.finishReason(stopReason);
    }

    /**
     * The HTTP status Anthropic documents for an error type: {@code invalid_request_error} 400,
     * {@code authentication_error} 401, {@code billing_error} 402, {@code permission_error} 403,
     * {@code not_found_error} 404, {@code request_too_large} 413, {@code rate_limit_error} 429,
     * {@code api_error} 500, {@code timeout_error} 504, {@code overloaded_error} 529; any other 502.
     */
    public static int status(String errorType) {
        return AnthropicErrors.status(errorType);
    }

    /**
     * The failure an Anthropic error object ({@code {"type":"error","error":{"type":…,"message":…}}})
     * stands for, when it arrives where an answer or an event was expected; its status is
     * {@link #status(String)} of the error's type (400 for an error that names a context window or
     * content policy), and it is classified by {@link HttpFailures#failure}: e.g. an
     * {@code invalid_request_error} whose message starts {@code prompt is too long} is a context-window
     * failure. It keeps the error's type.
     */
    public static ProviderException error(JsonNode body) {
        return AnthropicErrors.error(body);
    }

    /**
     * The canonical chunks of an Anthropic event stream. {@code message_start} gives a chunk with
     * {@code delta.role} and remembers the id, model and input usage; text deltas become
     * {@code delta.content}; a {@code tool_use} block's start and its {@code input_json_delta}s become
     * {@code delta.tool_calls}, indexed by tool call (not by content block); {@code message_delta} gives
     * a chunk with the finish reason, then a usage-only chunk (no choices); {@code message_stop}
     * completes the stream. A thinking or redacted-thinking block's start and its {@code thinking_delta}s and
     * {@code signature_delta} become {@link ChatChunk#thinking()} pieces. {@code ping}, {@code content_block_stop},
     * other delta types (citations) and unknown events are ignored.
     *
     * <p>An {@code error} event fails the stream with {@link #error(JsonNode)}; data that is not a JSON
     * object becomes a {@linkplain ChatChunk#malformed malformed} chunk (a stream that then ends
     * before {@code message_stop} is a malformed answer); an end before {@code message_stop}, or an
     * {@link SseException} from the events (a body cut inside an event), with a
     * {@link dev.detour.core.policy.FailureKind#CONNECTION} failure. Each subscription translates afresh.
     */
    public static Flux<ChatChunk> chunks(Flux<SseEvent> events) {
        return EventDecoder.decode(events, AnthropicStreamDecoder::new, "message_stop");
    }
}
