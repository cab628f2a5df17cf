package dev.detour.llm;

/** A chat request or answer that is not what the protocol allows; the message names the field. */
public class InvalidChatException extends IllegalArgumentException {

    public InvalidChatException(String message) {
        super(message);
    }
}
