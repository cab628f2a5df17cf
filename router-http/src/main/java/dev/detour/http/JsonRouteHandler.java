package dev.detour.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.core.Route;
import dev.detour.http.config.JsonRouteConfig;
import dev.detour.http.gateway.CallTrail;
import dev.detour.http.gateway.JsonAnswer;
import dev.detour.http.gateway.JsonCall;
import dev.detour.http.limits.Spending;
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
    private final RequestLog log;

    JsonRouteHandler(Supplier<Serving> serving, RequestLog log) {
        this.serving = serving;
        this.log = log;
    }

    static boolean matches(HttpServerRequest request) {
        return request.uri().startsWith(PREFIX);
    }

    Mono<Void> handle(HttpServerRequest request, HttpServerResponse response) {
        long start = System.nanoTime();
        Serving current = serving.get();
        String requestId = Exchanges.requestId(request);
        response.header("x-request-id", requestId);
        ObjectNode line = log.line().put("request_id", requestId);
        CallTrail calls = new CallTrail();
        ClientAuth.Admission admission = current.clients().admit(request);
        ApiError denied = Exchanges.admit(response, admission, line);
        String uri = request.uri().substring(PREFIX.length());
        int query = uri.indexOf('?');
        String path = query < 0 ? uri : uri.substring(0, query);
        int slash = path.indexOf('/');
        String name = slash < 0 ? path : path.substring(0, slash);
        String below = slash < 0 ? "/" : path.substring(slash);
        line.put("route", "routes/" + name);
        Route<JsonCall, JsonAnswer> route = current.gateway().jsonRoute(name);
        Mono<Void> handled;
        if (denied != null) {
            handled = Mono.error(new ApiError.ApiException(denied));
        } else if (route == null) {
            handled = Mono.error(new ApiError.ApiException(ApiError.unknownRoute(name,
                    current.gateway().config().jsonRoutes().stream().map(JsonRouteConfig::name).toList())));
        } else {
            Map<String, String> headers = Exchanges.propagated(request, requestId, current.server().propagateHeaders());
            Spending spending = new Spending(current.limits(), admission.limits(), route, calls);
            handled = Exchanges.withinLimits(response, current.limits(), admission.limits()).then(Bodies.read(request, current.server().maxBodyBytes())
                    .map(body -> new JsonCall(request.method().name(), below, query < 0 ? "" : uri.substring(query + 1),
                            request.requestHeaders().get(HttpHeaderNames.CONTENT_TYPE), body, headers))
                    .flatMap(route::execute)
                    .flatMap(outcome -> {
                        JsonAnswer answer = outcome.value();
                        Exchanges.describe(response, outcome, line);
                        line.put("status", answer.status());
                        if (answer.contentType() != null) {
                            response.header(HttpHeaderNames.CONTENT_TYPE, answer.contentType());
                        }
                        return response.status(HttpResponseStatus.valueOf(answer.status()))
                                .header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(answer.body().length))
                                .sendByteArray(Mono.just(answer.body())).then();
                    })
                    .doFinally(signal -> spending.charge())
                    .contextWrite(Context.of(CallTrail.KEY, calls)));
        }
        return Exchanges.logged(handled, response, calls, line, log, start);
    }
}
