package dev.detour.http;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.RawMessageStreamEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The official Anthropic Java SDK as the tests use it: a client of the router, and streams accumulated whole. */
final class AnthropicSdk {

    private AnthropicSdk() {
    }

    /** A client of {@code h}'s router with the client key {@code key}: no retries, a 15 s timeout. */
    static AnthropicClient client(Harness h, String key) {
        return AnthropicOkHttpClient.builder().baseUrl(h.router.baseUrl()).apiKey(key).maxRetries(0)
                .timeout(Duration.ofSeconds(15)).build();
    }

    /** The SDK's accumulated message of a stream, read whole on the test thread; the events read go into {@code into}. */
    static Message accumulate(StreamResponse<RawMessageStreamEvent> stream, List<RawMessageStreamEvent> into) {
        MessageAccumulator accumulator = MessageAccumulator.create();
        try (stream) {
            stream.stream().forEach(event -> {
                into.add(event);
                accumulator.accumulate(event);
            });
        }
        return accumulator.message();
    }

    /** The SDK's accumulated message of a stream, read whole on the test thread. */
    static Message accumulate(StreamResponse<RawMessageStreamEvent> stream) {
        return accumulate(stream, new ArrayList<>());
    }
}
