package dev.detour.http;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.CharConversionException;
import java.io.IOException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Why a body is not valid JSON, in the caller's terms: the parser's complaint without its class names,
 * token names or source descriptions, and where it is ({@code unexpected end of input at line 1, column 17}).
 */
final class JsonProblem {

    private static final Pattern CHARACTER = Pattern.compile("\\(('.*?') \\(code (\\d+)\\)\\)|\\(\\(CTRL-CHAR, code (\\d+)\\)\\)");
    private static final Pattern TOKEN = Pattern.compile("Unrecognized token ('.*?'): was expecting .*", Pattern.DOTALL);
    private static final Pattern SOURCE = Pattern.compile("\\s*\\(?(start marker )?at \\[Source: [^\\]]*\\]\\)?|\\[Source: [^\\]]*\\]");
    private static final Pattern JAVA_NAME = Pattern.compile("`?\\b(?:[a-z]\\w*\\.)+[A-Z]\\w*(?:#\\w+)?`?|`[^`]*`");

    private JsonProblem() {
    }

    /** What is wrong with the JSON text {@code error} was raised for. */
    static String describe(IOException error) {
        if (error instanceof JsonProcessingException json) {
            String what = clean(json.getOriginalMessage());
            JsonLocation at = json.getLocation();
            return at == null || at.getLineNr() < 1 ? what : what + " at line " + at.getLineNr() + ", column " + at.getColumnNr();
        }
        if (error instanceof CharConversionException) {
            return "it is not valid UTF-8 text";
        }
        return clean(error.getMessage());
    }

    /** The parser's message, reworded: {@code Unexpected character ('m' (code 109)): was expecting double-quote …} becomes {@code unexpected character 'm': expected double-quote …}. */
    static String clean(String message) {
        if (message == null || message.isBlank()) {
            return "unreadable";
        }
        String text = message.strip();
        int newline = text.indexOf('\n');
        text = newline < 0 ? text : text.substring(0, newline).strip();
        if (text.startsWith("Unexpected end-of-input")) {
            String inside = text.contains("VALUE_STRING") ? " inside a string"
                    : text.contains("for Array") ? " inside an array"
                    : text.contains("Object") ? " inside an object" : "";
            return "unexpected end of input" + inside;
        }
        Matcher token = TOKEN.matcher(text);
        if (token.matches()) {
            return "unexpected token " + token.group(1) + " (expected a string, number, object, array, true, false or null)";
        }
        text = SOURCE.matcher(text).replaceAll("");
        Matcher character = CHARACTER.matcher(text);
        StringBuilder out = new StringBuilder();
        while (character.find()) {
            String replacement = character.group(1) != null ? character.group(1)
                    : String.format(Locale.ROOT, "(control character U+%04X)", Integer.parseInt(character.group(3)));
            character.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        character.appendTail(out);
        text = JAVA_NAME.matcher(out.toString()).replaceAll("").replace("was expecting", "expected")
                .replace("VALUE_STRING", "string").replace("START_OBJECT", "object").replace("START_ARRAY", "array")
                .replaceAll("\\s{2,}", " ").strip();
        if (text.endsWith(":") || text.endsWith(";")) {
            text = text.substring(0, text.length() - 1);
        }
        return text.isEmpty() ? "unreadable" : Character.toLowerCase(text.charAt(0)) + text.substring(1);
    }
}
