package dev.detour.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The router's heap after a full collection, asked over its admin API ({@code POST /admin/jvm/gc}:
 * the router runs {@link System#gc()} and reports its memory pools' use after it). No JMX
 * connection, no attach; one collection per call, so it is called between series, never inside one
 * (except by the soak, whose figure is the memory, not the latency). Blocking: call it from the
 * benchmark's main thread.
 */
final class HeapProbe {

    /** Heap and old generation in use after the collection, in bytes. */
    record Heap(long usedBytes, long oldGenBytes) {
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI uri;
    private final String token;

    HeapProbe(String routerUrl, String token) {
        this.uri = URI.create(routerUrl + "/admin/jvm/gc");
        this.token = token;
    }

    /** Asks once more when a kept-alive connection turns out closed by the router's idle timeout. */
    Heap collect() {
        try {
            return ask();
        } catch (IllegalStateException e) {
            if (e.getCause() instanceof IOException) {
                return ask();
            }
            throw e;
        }
    }

    private Heap ask() {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .header("authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("the router's heap could not be read: status " + response.statusCode());
            }
            JsonNode body = Report.MAPPER.readTree(response.body());
            return new Heap(body.path("heap_used_bytes").asLong(), body.path("old_gen_used_bytes").asLong());
        } catch (IOException e) {
            throw new IllegalStateException("the router's heap could not be read: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the router's heap", e);
        }
    }
}
