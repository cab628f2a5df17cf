package dev.detour.bench;

import dev.detour.llm.internal.LoopPools;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.ConnectionProvider;

/**
 * The transport's floor: a reverse proxy of a few lines on Reactor Netty, as Detour's HTTP runs, with no
 * routing, parsing or policy. It relays each request to the upstream and the answer back as it arrives
 * (streams too), over a connection pool per event loop like Detour's. Measured beside Detour
 * ({@code router-bench/peers.sh} starts it as {@code reactor-netty}), it shows how much of what Detour adds
 * is the transport on this machine and how much is Detour.
 */
public final class BareProxy {

    private static final List<CharSequence> REQUEST_HEADERS = List.of(HttpHeaderNames.CONTENT_TYPE,
            HttpHeaderNames.CONTENT_LENGTH, HttpHeaderNames.AUTHORIZATION, HttpHeaderNames.ACCEPT);
    private static final List<CharSequence> HOP_BY_HOP = List.of(HttpHeaderNames.CONNECTION, HttpHeaderNames.KEEP_ALIVE,
            HttpHeaderNames.TRANSFER_ENCODING);

    private BareProxy() {
    }

    /** A proxy to {@code upstream} (a base URL) listening on 127.0.0.1:{@code port} (0: a free port). */
    static DisposableServer start(String upstream, int port) {
        HttpClient client = HttpClient.create(new LoopPools("bare", name -> ConnectionProvider.builder(name)
                .maxConnections(128).pendingAcquireMaxCount(-1).build())).baseUrl(upstream);
        return HttpServer.create().host("127.0.0.1").port(port).handle((request, response) -> client
                .headers(headers -> copy(request.requestHeaders(), headers, REQUEST_HEADERS))
                .request(request.method())
                .uri(request.uri())
                .send(request.receive().retain())
                .response((answer, body) -> {
                    HttpHeaders headers = answer.responseHeaders().copy();
                    HOP_BY_HOP.forEach(headers::remove);
                    return response.status(answer.status()).headers(headers).send(body.retain(), buffer -> true);
                })
                .then()).bindNow();
    }

    private static void copy(HttpHeaders from, HttpHeaders to, List<CharSequence> names) {
        for (CharSequence name : names) {
            String value = from.get(name);
            if (value != null) {
                to.set(name, value);
            }
        }
    }

    /** {@code --upstream URL [--port N]}: serves until stopped. */
    public static void main(String[] args) {
        String upstream = null;
        int port = 0;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--upstream" -> upstream = args[i + 1];
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; usage: BareProxy --upstream URL [--port N]");
            }
        }
        if (upstream == null) {
            throw new IllegalArgumentException("usage: BareProxy --upstream URL [--port N]");
        }
        DisposableServer server = start(upstream, port);
        Runtime.getRuntime().addShutdownHook(new Thread(server::disposeNow, "bare-proxy-shutdown"));
        System.out.println("http://127.0.0.1:" + server.port());
        server.onDispose().block();
    }
}
