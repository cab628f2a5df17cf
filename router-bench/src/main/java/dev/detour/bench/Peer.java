package dev.detour.bench;

import java.util.Map;

/**
 * A server measured side by side with the others: its name in the report, its base URL (an
 * OpenAI-compatible API serving model {@code bench}) and the headers sent with each request to it.
 *
 * @param name    e.g. {@code detour}, {@code nginx}
 * @param url     the base URL, without a trailing slash
 * @param headers request headers for this server alone (e.g. a gateway's config header)
 */
public record Peer(String name, String url, Map<String, String> headers) {

    /** The name of the Detour router the benchmark starts itself. */
    public static final String DETOUR = "detour";
    /** The name of the upstream called without a router in between. */
    public static final String DIRECT = "direct";

    public Peer {
        headers = Map.copyOf(headers);
    }

    /** A chat completion for model {@code bench} at this peer, carrying its headers. */
    LoadGenerator.Target chat(boolean stream) {
        return LoadGenerator.Target.chat(url, "bench", stream).withHeaders(headers);
    }
}
