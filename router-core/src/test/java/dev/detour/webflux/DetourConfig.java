package dev.detour.webflux;

import dev.detour.core.Route;
import dev.detour.core.Router;
import dev.detour.core.Tier;
import dev.detour.core.stream.Started;
import dev.detour.core.stream.StreamRoute;
import dev.detour.core.telemetry.RouteMetrics;
import dev.detour.llm.ApiKey;
import dev.detour.llm.ChatChunk;
import dev.detour.llm.ChatProvider;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.ChatStreams;
import dev.detour.llm.HttpSettings;
import dev.detour.llm.anthropic.AnthropicProvider;
import dev.detour.llm.openai.OpenAiProvider;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The router, the providers and the routes, as beans. */
// README webflux begin
@Configuration
class DetourConfig {

    @Bean
    Router router(MeterRegistry meters, ObservationRegistry observations) {   // Spring's meters and traces
        return Router.builder().listener(new RouteMetrics(meters)).observationRegistry(observations).build();
    }

    @Bean
    ChatProvider openai(@Value("${llm.openai.url}") String url, @Value("${llm.openai.key}") String key) {
        return OpenAiProvider.builder("openai", HttpSettings.of(url)).apiKey(ApiKey.of(key))
                .model("gpt-4o-mini").build();
    }

    @Bean
    ChatProvider anthropic(@Value("${llm.anthropic.url}") String url, @Value("${llm.anthropic.key}") String key) {
        return AnthropicProvider.builder("anthropic", HttpSettings.of(url)).apiKey(ApiKey.of(key))
                .model("claude-haiku-4-5").build();
    }

    @Bean
    Route<ChatRequest, ChatResponse> chat(Router router, ChatProvider openai, ChatProvider anthropic) {
        return router.<ChatRequest, ChatResponse>route("chat")
                .deadline(Duration.ofSeconds(3))
                .tier(Tier.of(openai).timeout(Duration.ofSeconds(1)))
                .tier(anthropic)
                .build();
    }

    @Bean
    StreamRoute<ChatRequest, ChatChunk> chatStream(Router router, ChatProvider openai, ChatProvider anthropic) {
        return ChatStreams.continuing(router.<ChatRequest, Started<ChatChunk>>route("chat-stream")
                .deadline(Duration.ofMinutes(2))                                       // the whole stream
                .tier(Tier.of(ChatStreams.streaming(openai)).timeout(Duration.ofSeconds(2))) // first token
                .tier(ChatStreams.streaming(anthropic))
                .build()).build();
    }
}
// README webflux end
