package dev.detour.http.gateway;

import dev.detour.core.AttemptContext;
import dev.detour.core.Provider;
import dev.detour.llm.HttpSettings;
import dev.detour.llm.internal.Transport;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;

/** A plain HTTP (JSON) backend: forwards a {@link JsonCall} over the {@link Transport}, which maps non-2xx answers to failures. */
final class HttpJsonProvider implements Provider<JsonCall, JsonAnswer> {

    private final String name;
    private final HttpClient http;

    HttpJsonProvider(String name, HttpSettings settings) {
        this.name = name;
        this.http = settings.client(name);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Mono<JsonAnswer> call(JsonCall call, AttemptContext context) {
        HttpClient.ResponseReceiver<?> request = http.headers(headers -> {
                    call.headers().forEach(headers::set);
                    if (call.contentType() != null) {
                        headers.set(HttpHeaderNames.CONTENT_TYPE, call.contentType());
                    }
                })
                .request(HttpMethod.valueOf(call.method()))
                .uri(call.uri())
                .send(call.body().length == 0 ? Mono.empty() : Mono.fromCallable(() -> Unpooled.wrappedBuffer(call.body())));
        return Transport.exchange(request, (response, body) -> new JsonAnswer(response.status().code(),
                response.responseHeaders().get(HttpHeaderNames.CONTENT_TYPE), body));
    }

    @Override
    public String toString() {
        return "HttpJsonProvider[" + name + "]";
    }
}
