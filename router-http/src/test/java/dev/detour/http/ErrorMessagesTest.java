package dev.detour.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.detour.http.limits.KeyLimits;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Error messages in the caller's terms: JSON problems without the parser's internals, did-you-mean, paths. */
class ErrorMessagesTest {

    private static String bodyError(String body) {
        ApiError.ApiException failure = catchThrowableOfType(ApiError.ApiException.class,
                () -> ChatHandler.parse(body.getBytes(StandardCharsets.UTF_8)));
        assertThat(failure).as("an ApiException for %s", body).isNotNull();
        assertThat(failure.error().status()).isEqualTo(400);
        return failure.error().message();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            {"model":"chat",        | request body is not valid JSON: unexpected end of input inside an object at line 1, column 17
            {"model": chat}         | request body is not valid JSON: unexpected token 'chat' (expected a string, number, object, array, true, false or null) at line 1, column 11
            {model:1}               | request body is not valid JSON: unexpected character 'm': expected double-quote to start field name at line 1, column 2
            [1,2                    | request body is not valid JSON: unexpected end of input inside an array at line 1, column 5
            {"a":"x                 | request body is not valid JSON: unexpected end of input inside a string at line 1, column 8
            {"a":1 "b":2}           | request body is not valid JSON: unexpected character '"': expected comma to separate Object entries at line 1, column 8
            {"a":01}                | request body is not valid JSON: invalid numeric value: Leading zeroes not allowed at line 1, column 7
            """)
    void aBodyThatIsNotJsonIsNamedInTheCallersTerms(String body, String message) {
        String error = bodyError(body.strip());

        assertThat(error).isEqualTo(message);
    }

    @Test
    void noParserInternalsEverReachTheCaller() {
        for (String body : List.of("{\"a\":\"\u0001\"}", "{'a':1}", "{\"a\":tru}", "{\"a\":1,,}", "\u00ff\u00fe", "{\"a\":[1,}")) {
            assertThat(bodyError(body))
                    .startsWith("request body is not valid JSON: ")
                    .containsPattern("at line \\d+, column \\d+$")
                    .doesNotContain("Source", "REDACTED", "StreamReadFeature", "com.fasterxml", "`", "VALUE_", "code ");
        }
        assertThat(bodyError("{\"a\":\"\u0001\"}")).contains("(control character U+0001)");
    }

    @Test
    void anEmptyBodyOrOneThatIsNotAnObjectSaysSo() {
        assertThat(bodyError("")).isEqualTo("request body is empty: send a JSON object");
        assertThat(bodyError("[1]")).isEqualTo("request body must be a JSON object");
    }

    @Test
    void didYouMeanNamesCloseAliasesByEditsOrPrefixClosestFirst() {
        List<String> aliases = List.of("gpt-4o", "gpt-4o-mini", "gpt-4.1", "claude-sonnet", "claude-haiku", "llama");

        assertThat(DidYouMean.closest("gpt4o", aliases, 5)).containsExactly("gpt-4o", "gpt-4.1", "gpt-4o-mini");
        assertThat(DidYouMean.closest("GPT-4O", aliases, 5)).first().isEqualTo("gpt-4o");
        assertThat(DidYouMean.closest("claude", aliases, 5)).containsExactly("claude-sonnet", "claude-haiku");
        assertThat(DidYouMean.closest("lama", aliases, 5)).containsExactly("llama");
        assertThat(DidYouMean.closest("mistral-large", aliases, 5)).isEmpty();
        assertThat(DidYouMean.closest("gpt", aliases, 2)).containsExactly("gpt-4o", "gpt-4o-mini");
        assertThat(DidYouMean.closest("x".repeat(100_000), aliases, 5)).isEmpty();
        assertThat(DidYouMean.alternatives(List.of("a", "b", "c"))).isEqualTo("'a', 'b' or 'c'");
    }

    @Test
    void anUnknownModelAmongAFewListsThemAllAmongManyNamesTheCloseOnesAndWhereToFindTheRest() {
        assertThat(ApiError.unknownModel("no-such-model", List.of("chat", "continued", "cut", "down")).message())
                .isEqualTo("The model 'no-such-model' does not exist; known: [chat, continued, cut, down]");

        List<String> many = IntStream.range(0, 48).mapToObj(i -> "model-" + i).collect(java.util.stream.Collectors.toList());
        many.addAll(List.of("gpt-4o", "gpt-4o-mini", "gpt-4.1"));
        ApiError error = ApiError.unknownModel("gpt4o", many);
        assertThat(error.message()).isEqualTo("The model 'gpt4o' does not exist; did you mean 'gpt-4o', 'gpt-4.1' or 'gpt-4o-mini'? "
                + "GET /v1/models lists all 51 models");
        assertThat(error.code()).isEqualTo("model_not_found");
        assertThat(error.param()).isEqualTo("model");
        assertThat(ApiError.unknownModel("model", many).message()).contains("did you mean 'model-0', 'model-1', 'model-2', "
                + "'model-3' or 'model-4'?");
        assertThat(ApiError.unknownModel("zzz", many).message())
                .isEqualTo("The model 'zzz' does not exist; GET /v1/models lists all 51 models");
    }

    @Test
    void anUnknownPathKeepsItsLeadingSlash() {
        assertThat(ApiError.unknownPath("GET", "/v1/nothing").message()).isEqualTo("no route for GET /v1/nothing");
        assertThat(ApiError.unknownPath("POST", "v1/chat").message()).isEqualTo("no route for POST /v1/chat");
    }

    @Test
    void aKeyOverALimitIsA429NamingTheLimitAndTheWaitButNotTheKey() {
        ApiError error = ApiError.keyLimited(new KeyLimits.Refusal("requests-per-minute", "60", 2));

        assertThat(error).isEqualTo(new ApiError(429, "rate_limit_error", "rate_limit_exceeded",
                "requests-per-minute limit of 60 reached for this key; retry after 2s"));
    }
}
