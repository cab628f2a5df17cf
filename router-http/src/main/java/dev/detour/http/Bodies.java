package dev.detour.http;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaderNames;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.server.HttpServerRequest;

/**
 * Reads request bodies whole, refusing (413) one larger than the limit without reading it all. A body the
 * client was too slow to send, or sent in broken framing, fails with the {@link ApiError} to answer (408 or
 * 400, from {@link ClientEdges}); one the client abandoned by closing its connection fails with
 * {@link ClientEdges.ClientGone}.
 */
final class Bodies {

    private static final byte[] EMPTY = new byte[0];

    private Bodies() {
    }

    static Mono<byte[]> read(HttpServerRequest request, long limit) {
        String length = request.requestHeaders().get(HttpHeaderNames.CONTENT_LENGTH);
        if (length != null) {
            try {
                if (Long.parseLong(length.strip()) > limit) {
                    return Mono.error(new ApiError.ApiException(ApiError.tooLarge(limit)));
                }
            } catch (NumberFormatException e) {
                return Mono.error(new ApiError.ApiException(ApiError.badRequest("Content-Length is not a number")));
            }
        }
        long[] seen = new long[1];
        return ByteBufFlux.fromInbound(request.receive().doOnNext(chunk -> count(chunk, seen, limit)))
                .aggregate()
                .asByteArray()
                .defaultIfEmpty(EMPTY)
                .onErrorMap(ClientEdges::bodyError);
    }

    private static void count(ByteBuf chunk, long[] seen, long limit) {
        seen[0] += chunk.readableBytes();
        if (seen[0] > limit) {
            throw new ApiError.ApiException(ApiError.tooLarge(limit));
        }
    }
}
