package dev.detour.http;

import dev.detour.core.Route;
import dev.detour.http.config.JsonRouteConfig;
import dev.detour.http.gateway.CallTrail;
import dev.detour.http.gateway.JsonAnswer;
import dev.detour.http.gateway.JsonCall;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Map;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.util.context.Context;

/** {@code /routes/{name}/…}: plain JSON APIs forwarded through a route's tiers, degraded answers included. */
final class JsonRouteHandler {

    static final String PREFIX = "/routes/";

    private final Supplier<Serving> serving;

    JsonRouteHandler(Supplier<Serving> serving) {
        this.serving = serving;
    }

    static boolean matches(HttpServerRequest request) {
        return request.uri().startsWith(PREFIX);
    }

    Mono<Void> handle(HttpServerRequest request, HttpServerResponse response) {
        Serving current = serving.get();
        ApiError denied = Exchanges.admit(response, current.clients().admit(request), null);
        if (denied != null) {
            return Exchanges.error(response, denied);
        }
        String uri = request.uri().substring(PREFIX.length());
        int query = uri.indexOf('?');
        String path = query < 0 ? uri : uri.substring(0, query);
        int slash = path.indexOf('/');
        String name = slash < 0 ? path : path.substring(0, slash);
        String below = slash < 0 ? "/" : path.substring(slash);
        Route<JsonCall, JsonAnswer> route = current.gateway().jsonRoute(name);
        if (route == null) {
            return Exchanges.error(response, ApiError.unknownRoute(name, current.gateway().config().jsonRoutes().stream()
                    .map(JsonRouteConfig::name).toList()));
        }
        String requestId = Exchanges.requestId(request);
        response.header("x-request-id", requestId);
        Map<String, String> headers = Exchanges.propagated(request, requestId, current.server().propagateHeaders());
        CallTrail calls = new CallTrail();
        return Bodies.read(request, current.server().maxBodyBytes())
                .map(body -> new JsonCall(request.method().name(), below, query < 0 ? "" : uri.substring(query + 1),
                        request.requestHeaders().get(HttpHeaderNames.CONTENT_TYPE), body, headers))
                .flatMap(route::execute)
                .flatMap(outcome -> {
                    JsonAnswer answer = outcome.value();
                    Exchanges.describe(response, outcome, null);
                    if (answer.contentType() != null) {
                        response.header(HttpHeaderNames.CONTENT_TYPE, answer.contentType());
                    }
                    return response.status(HttpResponseStatus.valueOf(answer.status()))
                            .header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(answer.body().length))
                            .sendByteArray(Mono.just(answer.body())).then();
                })
                .contextWrite(Context.of(CallTrail.KEY, calls))
                .onErrorResume(error -> {
                    Exchanges.describeFailure(response, error, calls, null);
                    return Exchanges.error(response, ApiError.of(error));
                });
    }
}
