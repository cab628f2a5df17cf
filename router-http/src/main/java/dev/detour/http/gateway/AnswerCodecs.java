package dev.detour.http.gateway;

import dev.detour.core.AnswerCodec;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.Json;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** How the gateway's answers are kept in a shared store: a chat answer as its JSON, a JSON route's answer as status, type and body. */
final class AnswerCodecs {

    /** A chat completion, as the JSON the client would get. */
    static final AnswerCodec<ChatResponse> CHAT = new AnswerCodec<>() {
        @Override
        public byte[] encode(ChatResponse answer) {
            return Json.bytes(answer.json());
        }

        @Override
        public ChatResponse decode(byte[] bytes) {
            return ChatResponse.of(Json.object(bytes, "kept answer"));
        }
    };

    /** A JSON route's answer: its status (4 bytes), its content type's length (4 bytes) and UTF-8 bytes, then its body. */
    static final AnswerCodec<JsonAnswer> JSON = new AnswerCodec<>() {
        @Override
        public byte[] encode(JsonAnswer answer) {
            byte[] type = answer.contentType() == null ? new byte[0] : answer.contentType().getBytes(StandardCharsets.UTF_8);
            return ByteBuffer.allocate(8 + type.length + answer.body().length).putInt(answer.status())
                    .putInt(answer.contentType() == null ? -1 : type.length).put(type).put(answer.body()).array();
        }

        @Override
        public JsonAnswer decode(byte[] bytes) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            int status = buffer.getInt();
            int typeLength = buffer.getInt();
            String type = null;
            if (typeLength >= 0) {
                byte[] typeBytes = new byte[typeLength];
                buffer.get(typeBytes);
                type = new String(typeBytes, StandardCharsets.UTF_8);
            }
            byte[] body = new byte[buffer.remaining()];
            buffer.get(body);
            return new JsonAnswer(status, type, body);
        }
    };

    private AnswerCodecs() {
    }
}
