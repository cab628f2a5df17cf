package dev.detour.bench;

import dev.detour.llm.HttpSettings;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;

/**
 * The transport's floor: a reverse proxy of a few lines on Reactor Netty, as Detour's HTTP runs, with no
 * routing, parsing or policy. It relays each request to the upstream and the answer back as it arrives
 * (streams too), over connection pools built as Detour's are ({@link HttpSettings#client}, one per event
 * loop). Measured beside Detour ({@code router-bench/peers.sh} starts it as {@code reactor-netty}), it shows
 * how much of what Detour adds is the transport on this machine and how much is Detour.
 */
public final class BareProxy {

    private static final List<CharSequence> REQUEST_HEADERS = List.of(HttpHeaderNames.CONTENT_TYPE,
            HttpHeaderNames.CONTENT_LENGTH, HttpHeaderNames.AUTHORIZATION, HttpHeaderNames.ACCEPT);
    private static final List<CharSequence> HOP_BY_HOP = List.of(HttpHeaderNames.CONNECTION, HttpHeaderNames.KEEP_ALIVE,
            HttpHeaderNames.TRANSFER_ENCODING);

    /** Detour's pool limits in the benchmark's configuration ({@code max-connections: 512}, pending 1,024). */
    private static final int MAX_CONNECTIONS = 512;
    private static final int MAX_PENDING = 1024;

    private BareProxy() {
    }

    /** A proxy to {@code upstream} (a base URL) listening on 127.0.0.1:{@code port} (0: a free port). */
    static DisposableServer start(String upstream, int port) {
        HttpClient client = HttpSettings.of(upstream).pool(MAX_CONNECTIONS, MAX_PENDING).client("bare");
        return HttpServer.create().host("127.0.0.1").port(port).handle((request, response) -> client
                .request(request.method())
                .uri(request.uri())
                .send((outgoing, body) -> {
                    copy(request.requestHeaders(), outgoing.requestHeaders(), REQUEST_HEADERS);
                    return body.send(request.receive().retain());
                })
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
