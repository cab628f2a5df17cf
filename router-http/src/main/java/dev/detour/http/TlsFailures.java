package dev.detour.http;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import javax.net.ssl.SSLException;

/**
 * Closes a connection whose TLS handshake failed (plain HTTP sent to the TLS port, a client that refuses the
 * certificate, a handshake that breaks off) without passing the failure on: the ALPN handler would log
 * it at WARN, and Netty's message for plain text hex-dumps the bytes received, which carry the client's
 * {@code Authorization} header. Sits right after the SSL handler.
 */
@ChannelHandler.Sharable
final class TlsFailures extends ChannelInboundHandlerAdapter {

    static final TlsFailures INSTANCE = new TlsFailures();

    private TlsFailures() {
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof SslHandshakeCompletionEvent handshake && !handshake.isSuccess()) {
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof SSLException || cause instanceof DecoderException && cause.getCause() instanceof SSLException) {
            ctx.close();
            return;
        }
        ctx.fireExceptionCaught(cause);
    }
}
