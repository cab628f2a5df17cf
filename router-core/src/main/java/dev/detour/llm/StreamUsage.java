package dev.detour.llm;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What one provider's stream of an answer used, chunk by chunk: the usage it reported, or, for a stream that
 * ended before it reported any (cut, or left by its reader), an estimate from what it sent: the prompt at four
 * characters a token, the completion a token a chunk with text or a tool call. One stream's chunks, in order;
 * not thread-safe.
 */
public final class StreamUsage {

    private static final int CHARS_PER_TOKEN = 4;

    private final ChatRequest request;
    private Usage reported;
    private long chunks;
    private boolean any;

    /** The usage of a stream answering {@code request}. */
    public StreamUsage(ChatRequest request) {
        this.request = request;
    }

    /** Notes one chunk of the stream. */
    public void add(ChatChunk chunk) {
        any = true;
        Usage usage = chunk.usage();
        if (usage != null) {
            reported = usage.plus(reported);
        }
        String content = chunk.content();
        if (content != null && !content.isEmpty() || chunk.inToolCall()) {
            chunks++;
        }
    }

    /** Whether the stream sent any chunk. */
    public boolean any() {
        return any;
    }

    /** Whether the stream reported its usage. */
    public boolean reported() {
        return reported != null;
    }

    /** The usage the stream reported, or else {@link #estimated()}. */
    public Usage reportedOrEstimated() {
        return reported != null ? reported : estimated();
    }

    /** The estimate of what the stream used, from the request and the chunks it sent. */
    public Usage estimated() {
        long chars = 0;
        for (JsonNode message : request.messages()) {
            JsonNode content = message.path("content");
            if (content.isTextual()) {
                chars += content.asText().length();
            } else {
                for (JsonNode part : content) {
                    chars += part.path("text").asText("").length();
                }
            }
        }
        return new Usage((chars + CHARS_PER_TOKEN - 1) / CHARS_PER_TOKEN, chunks);
    }
}
