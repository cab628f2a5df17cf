package dev.detour.llm.validate;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.detour.core.Failure;
import dev.detour.core.Outcome;
import dev.detour.core.Provider;
import dev.detour.core.RequestValidator;
import dev.detour.core.Route;
import dev.detour.core.Router;
import dev.detour.core.Validator;
import dev.detour.core.policy.FailureKind;
import dev.detour.llm.ChatRequest;
import dev.detour.llm.ChatResponse;
import dev.detour.llm.Json;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

class ChatValidatorsTest {

    private static final String PERSON_SCHEMA = "{\"type\":\"object\","
            + "\"properties\":{\"name\":{\"type\":\"string\"},\"age\":{\"type\":\"integer\"}},"
            + "\"required\":[\"name\",\"age\"],\"additionalProperties\":false}";

    private static ChatResponse answer(String content) {
        return ChatResponse.of("id-1", "small", content, "stop", null);
    }

    private static ChatResponse answerJson(String json) {
        return ChatResponse.of(Json.object(json, "answer"));
    }

    private static ChatResponse toolCall() {
        return answerJson("{\"choices\":[{\"index\":0,\"finish_reason\":\"tool_calls\",\"message\":{\"role\":\"assistant\","
                + "\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"lookup\",\"arguments\":\"{}\"}}]}}]}");
    }

    private static ChatRequest request(String responseFormat) {
        return ChatRequest.of(Json.object("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                + "\"response_format\":" + responseFormat + "}", "request"));
    }

    private static ChatRequest schemaRequest(String schema) {
        return request("{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"person\",\"strict\":true,\"schema\":" + schema + "}}");
    }

    private static void assertInvalid(Optional<Failure> failure, String reason) {
        assertThat(failure).hasValueSatisfying(f -> {
            assertThat(f.kind()).isEqualTo(FailureKind.INVALID);
            assertThat(f.detail()).isEqualTo(reason);
        });
    }

    private static String reasonOf(Optional<Failure> failure) {
        assertThat(failure).isPresent();
        assertThat(failure.get().kind()).isEqualTo(FailureKind.INVALID);
        return failure.get().detail();
    }

    // nonEmpty

    @Test
    void nonEmptyAcceptsTextAndToolCalls() {
        Validator<ChatResponse> nonEmpty = ChatValidators.nonEmpty();

        assertThat(nonEmpty.check(answer("Paris"))).isEmpty();
        assertThat(nonEmpty.check(toolCall())).isEmpty();
    }

    @Test
    void nonEmptyRejectsNullBlankOrMissingContentAsEmpty() {
        Validator<ChatResponse> nonEmpty = ChatValidators.nonEmpty();

        for (ChatResponse empty : List.of(answer(null), answer(" \n\t "), answerJson("{\"choices\":[]}"))) {
            assertThat(nonEmpty.check(empty)).as(empty.json().toString()).hasValueSatisfying(f -> {
                assertThat(f.kind()).isEqualTo(FailureKind.EMPTY);
                assertThat(f.detail()).isEqualTo("empty content");
            });
        }
    }

    // finishedNormally

    @Test
    void finishedNormallyAcceptsStopToolCallsAndNoReason() {
        Validator<ChatResponse> finished = ChatValidators.finishedNormally();

        assertThat(finished.check(answer("done"))).isEmpty();
        assertThat(finished.check(toolCall())).isEmpty();
        assertThat(finished.check(ChatResponse.of("id", "m", "done", null, null))).isEmpty();
    }

    @Test
    void finishedNormallyRejectsAnAnswerCutOffOrFiltered() {
        Validator<ChatResponse> finished = ChatValidators.finishedNormally();

        assertInvalid(finished.check(ChatResponse.of("id", "m", "The answer is", "length", null)),
                "answer cut off: finish_reason length");
        assertInvalid(finished.check(ChatResponse.of("id", "m", "", "content_filter", null)),
                "answer filtered: finish_reason content_filter");
    }

    // validJson

    @Test
    void validJsonAcceptsAnyJsonValueWithWhitespaceAround() {
        Validator<ChatResponse> json = ChatValidators.validJson();

        for (String content : List.of("{\"a\":1}", "  [1, 2]\n", "\"text\"", "42", "null", "\n{\"nested\":{\"b\":[true]}}  ")) {
            assertThat(json.check(answer(content))).as(content).isEmpty();
        }
    }

    @Test
    void validJsonAcceptsOneFencedBlockTaggedJsonOrUntagged() {
        Validator<ChatResponse> json = ChatValidators.validJson();

        assertThat(json.check(answer("```json\n{\"a\":1}\n```"))).isEmpty();
        assertThat(json.check(answer("\n```JSON\n[1]\n```\n"))).isEmpty();
        assertThat(json.check(answer("```\n{\"a\":1}\n```"))).isEmpty();
        assertThat(reasonOf(json.check(answer("```python\nprint(1)\n```")))).startsWith("content is not valid JSON: ");
        assertThat(reasonOf(json.check(answer("Here it is:\n```json\n{\"a\":1}\n```")))).startsWith("content is not valid JSON: ");
        assertThat(reasonOf(json.check(answer("```json\n{\"a\":1}\n```\n```json\n{\"b\":2}\n```"))))
                .startsWith("content is not valid JSON: ");
    }

    @Test
    void validJsonRejectsProseWithTheParsersFirstLine() {
        Optional<Failure> failure = ChatValidators.validJson().check(answer("Sure! Here is your JSON"));

        assertInvalid(failure, "content is not valid JSON: Unrecognized token 'Sure': was expecting "
                + "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')");
    }

    @Test
    void validJsonRejectsTrailingContentAndTruncatedJsonOnOneLine() {
        Validator<ChatResponse> json = ChatValidators.validJson();

        assertThat(reasonOf(json.check(answer("{\"a\":1} {\"b\":2}")))).startsWith("content is not valid JSON: Trailing token");
        assertThat(reasonOf(json.check(answer("{\"a\":1} and more")))).startsWith("content is not valid JSON: ");
        String truncated = reasonOf(json.check(answer("{\"a\":\n[1,")));
        assertThat(truncated).startsWith("content is not valid JSON: Unexpected end-of-input").doesNotContain("\n");
    }

    @Test
    void validJsonRejectsNoContentUnlessTheAnswerCallsTools() {
        Validator<ChatResponse> json = ChatValidators.validJson();

        assertInvalid(json.check(answer(null)), "content is not valid JSON: no content");
        assertInvalid(json.check(answer("   ")), "content is not valid JSON: no content");
        assertInvalid(json.check(answer("```json\n```")), "content is not valid JSON: no content");
        assertThat(json.check(toolCall())).isEmpty();
    }

    @Test
    void jsonTextStripsWhitespaceAndOneJsonFence() {
        assertThat(ChatValidators.jsonText(null)).isNull();
        assertThat(ChatValidators.jsonText("  {\"a\":1}\n")).isEqualTo("{\"a\":1}");
        assertThat(ChatValidators.jsonText("```json\n{\"a\":1}\n```")).isEqualTo("{\"a\":1}");
        assertThat(ChatValidators.jsonText("```\n[1]```")).isEqualTo("[1]");
        assertThat(ChatValidators.jsonText("```yaml\na: 1\n```")).isEqualTo("```yaml\na: 1\n```");
        assertThat(ChatValidators.jsonText("```{\"a\":1}```")).isEqualTo("```{\"a\":1}```");
    }

    // matchesRequestedFormat

    @Test
    void withoutAJsonFormatAnyAnswerMatches() {
        RequestValidator<ChatRequest, ChatResponse> format = ChatValidators.matchesRequestedFormat();

        assertThat(format.check(ChatRequest.user("m", "hi"), answer("plain prose"))).isEmpty();
        assertThat(format.check(request("{\"type\":\"text\"}"), answer("plain prose"))).isEmpty();
    }

    @Test
    void jsonObjectFormatRequiresABareJsonObject() {
        RequestValidator<ChatRequest, ChatResponse> format = ChatValidators.matchesRequestedFormat();
        ChatRequest jsonObject = request("{\"type\":\"json_object\"}");

        assertThat(format.check(jsonObject, answer(" {\"city\":\"Paris\"}\n"))).isEmpty();
        assertInvalid(format.check(jsonObject, answer("[{\"city\":\"Paris\"}]")), "content is not a JSON object: found array");
        assertInvalid(format.check(jsonObject, answer("\"Paris\"")), "content is not a JSON object: found string");
        assertThat(reasonOf(format.check(jsonObject, answer("The city is Paris")))).startsWith("content is not valid JSON: ");
        assertThat(reasonOf(format.check(jsonObject, answer("```json\n{\"city\":\"Paris\"}\n```"))))
                .startsWith("content is not valid JSON: ");
        assertInvalid(format.check(jsonObject, answer(null)), "content is not valid JSON: no content");
        assertThat(format.check(jsonObject, toolCall())).isEmpty();
    }

    @Test
    void jsonSchemaFormatAcceptsAMatchingObject() {
        RequestValidator<ChatRequest, ChatResponse> format = ChatValidators.matchesRequestedFormat();

        assertThat(format.check(schemaRequest(PERSON_SCHEMA), answer("{\"name\":\"Ada\",\"age\":36}"))).isEmpty();
    }

    @Test
    void jsonSchemaFormatRejectsAWrongTypeNamingThePath() {
        Optional<Failure> failure = ChatValidators.matchesRequestedFormat()
                .check(schemaRequest(PERSON_SCHEMA), answer("{\"name\":\"Ada\",\"age\":\"36\"}"));

        assertInvalid(failure, "content does not match the requested schema: $.age: string found, integer expected");
    }

    @Test
    void jsonSchemaFormatRejectsAMissingRequiredProperty() {
        Optional<Failure> failure = ChatValidators.matchesRequestedFormat()
                .check(schemaRequest(PERSON_SCHEMA), answer("{\"age\":36}"));

        assertInvalid(failure, "content does not match the requested schema: $: required property 'name' not found");
    }

    @Test
    void jsonSchemaFormatListsTheFirstThreeMessagesAndCountsTheRest() {
        String schema = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"},\"b\":{\"type\":\"integer\"},"
                + "\"c\":{\"type\":\"integer\"},\"d\":{\"type\":\"integer\"},\"e\":{\"type\":\"integer\"}}}";

        String reason = reasonOf(ChatValidators.matchesRequestedFormat()
                .check(schemaRequest(schema), answer("{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"d\":\"4\",\"e\":\"5\"}")));

        assertThat(reason).startsWith("content does not match the requested schema: $.a: string found, integer expected; "
                + "$.b: string found, integer expected; $.c: string found, integer expected")
                .endsWith(" (and 2 more)");
    }

    @Test
    void jsonSchemaFormatStillRequiresValidJson() {
        String reason = reasonOf(ChatValidators.matchesRequestedFormat()
                .check(schemaRequest(PERSON_SCHEMA), answer("name: Ada, age: 36")));

        assertThat(reason).startsWith("content is not valid JSON: Unrecognized token 'name'");
    }

    @Test
    void aSchemaNamingAnotherDialectIsReadInIt() {
        String draft7 = "{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"type\":\"array\","
                + "\"items\":[{\"type\":\"string\"}],\"additionalItems\":false}";
        RequestValidator<ChatRequest, ChatResponse> format = ChatValidators.matchesRequestedFormat();

        assertThat(format.check(schemaRequest(draft7), answer("[\"one\"]"))).isEmpty();
        assertThat(reasonOf(format.check(schemaRequest(draft7), answer("[\"one\", \"two\"]"))))
                .startsWith("content does not match the requested schema: ");
        assertThat(reasonOf(format.check(schemaRequest(draft7), answer("[1]"))))
                .isEqualTo("content does not match the requested schema: $[0]: integer found, string expected");
    }

    @Test
    void anInvalidSchemaIsTheCallersFaultSoAnyJsonAnswerPasses() {
        ChatValidators.SchemaCache cache = new ChatValidators.SchemaCache(16);
        RequestValidator<ChatRequest, ChatResponse> format = ChatValidators.matchesRequestedFormat(cache);
        List<String> invalidSchemas = List.of(
                "{\"type\":\"nosuchtype\"}",
                "{\"type\":\"object\",\"properties\":5}",
                "{\"type\":\"string\",\"pattern\":\"(\"}",
                "{\"$ref\":\"#/$defs/missing\"}",
                "{\"$ref\":\"http://127.0.0.1:9/schema.json\"}",
                "{\"$schema\":\"https://example.com/my-dialect\",\"type\":\"string\"}",
                "[\"not\",\"a\",\"schema\"]");

        for (String schema : invalidSchemas) {
            assertThat(format.check(schemaRequest(schema), answer("{\"any\":[1,2,3]}"))).as(schema).isEmpty();
            assertThat(cache.get(node(schema)).valid()).as(schema).isFalse();
            assertThat(reasonOf(format.check(schemaRequest(schema), answer("not JSON")))).as(schema)
                    .startsWith("content is not valid JSON: ");
        }
    }

    @Test
    void aJsonSchemaFormatWithoutASchemaOnlyRequiresJson() {
        RequestValidator<ChatRequest, ChatResponse> format = ChatValidators.matchesRequestedFormat();
        ChatRequest noSchema = request("{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"anything\"}}");

        assertThat(format.check(noSchema, answer("[1, \"two\"]"))).isEmpty();
        assertThat(reasonOf(format.check(noSchema, answer("one, two")))).startsWith("content is not valid JSON: ");
    }

    @Test
    void theSchemaCacheCompilesARepeatedSchemaOnce() {
        ChatValidators.SchemaCache cache = new ChatValidators.SchemaCache(16);
        RequestValidator<ChatRequest, ChatResponse> format = ChatValidators.matchesRequestedFormat(cache);
        String reordered = "{\"required\":[\"name\",\"age\"],\"additionalProperties\":false,"
                + "\"properties\":{\"age\":{\"type\":\"integer\"},\"name\":{\"type\":\"string\"}},\"type\":\"object\"}";

        for (int i = 0; i < 5; i++) {
            assertThat(format.check(schemaRequest(PERSON_SCHEMA), answer("{\"name\":\"Ada\",\"age\":" + i + "}"))).isEmpty();
        }
        assertThat(format.check(schemaRequest(reordered), answer("{\"name\":\"Ada\",\"age\":\"x\"}"))).isPresent();
        assertThat(cache.compilations()).isEqualTo(1);
        assertThat(cache.size()).isEqualTo(1);

        format.check(schemaRequest("{\"type\":\"array\"}"), answer("[]"));
        assertThat(cache.compilations()).isEqualTo(2);
        assertThat(cache.size()).isEqualTo(2);
    }

    @Test
    void theSchemaCacheKeepsItsOwnCopyOfTheSchema() {
        ChatValidators.SchemaCache cache = new ChatValidators.SchemaCache(16);
        ObjectNode schema = Json.object(PERSON_SCHEMA, "schema");
        cache.get(schema);

        schema.put("type", "array");

        assertThat(cache.get(Json.object(PERSON_SCHEMA, "schema")).check(Json.object("{\"name\":\"Ada\",\"age\":1}", "x")))
                .isEmpty();
        assertThat(cache.compilations()).isEqualTo(1);
    }

    @Test
    void theSchemaCacheIsBounded() {
        ChatValidators.SchemaCache cache = new ChatValidators.SchemaCache(2);

        for (int i = 0; i < 5; i++) {
            cache.get(Json.object("{\"type\":\"object\",\"maxProperties\":" + i + "}", "schema"));
        }

        assertThat(cache.size()).isEqualTo(2);
        assertThat(cache.compilations()).isEqualTo(5);
    }

    @Test
    void theSharedCacheServesEveryValidator() {
        String schema = "{\"type\":\"object\",\"required\":[\"shared-cache-test\"]}";
        ChatValidators.matchesRequestedFormat().check(schemaRequest(schema), answer("{}"));
        long compiled = ChatValidators.SchemaCache.SHARED.compilations();

        Optional<Failure> again = ChatValidators.matchesRequestedFormat().check(schemaRequest(schema), answer("{}"));

        assertThat(again).isPresent();
        assertThat(ChatValidators.SchemaCache.SHARED.compilations()).isEqualTo(compiled);
    }

    @Test
    void schemasCompileAndValidateWithoutBlockingANonBlockingThread() {
        ChatValidators.SchemaCache cache = new ChatValidators.SchemaCache(16);
        RequestValidator<ChatRequest, ChatResponse> format = ChatValidators.matchesRequestedFormat(cache);
        String schema = "{\"type\":\"object\",\"properties\":{\"code\":{\"type\":\"string\",\"pattern\":\"^[A-Z]{3}$\"},"
                + "\"n\":{\"$ref\":\"#/$defs/small\"}},\"$defs\":{\"small\":{\"type\":\"integer\",\"maximum\":9}},"
                + "\"required\":[\"code\"]}";
        String draft7 = "{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"type\":\"array\",\"uniqueItems\":true}";

        Mono<List<String>> onParallel = Mono.fromCallable(() -> List.of(
                        reasonOf(format.check(schemaRequest(schema), answer("{\"code\":\"abc\",\"n\":12}"))),
                        reasonOf(format.check(schemaRequest(draft7), answer("[1, 1]")))))
                .subscribeOn(Schedulers.parallel());

        StepVerifier.create(onParallel)
                .assertNext(reasons -> assertThat(reasons).containsExactly(
                        "content does not match the requested schema: $.code: does not match the regex pattern ^[A-Z]{3}$; "
                                + "$.n: must have a maximum value of 9",
                        "content does not match the requested schema: $: must have only unique items in the array"))
                .expectComplete()
                .verify(Duration.ofSeconds(30));
        assertThat(cache.compilations()).isEqualTo(2);
    }

    // noRefusal

    @Test
    void noRefusalRejectsAStructuredRefusal() {
        ChatResponse refused = answerJson("{\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"message\":"
                + "{\"role\":\"assistant\",\"content\":null,\"refusal\":\"I can't help with that request.\"}}]}");
        ChatResponse notRefused = answerJson("{\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"message\":"
                + "{\"role\":\"assistant\",\"content\":\"{}\",\"refusal\":null}}]}");
        Validator<ChatResponse> noRefusal = ChatValidators.noRefusal(content -> false);

        assertInvalid(noRefusal.check(refused), "refusal");
        assertThat(noRefusal.check(notRefused)).isEmpty();
    }

    @Test
    void noRefusalAsksThePredicateAboutNonNullContentOnly() {
        AtomicInteger asked = new AtomicInteger();
        Predicate<String> saysNo = content -> {
            asked.incrementAndGet();
            return content.contains("nope");
        };
        Validator<ChatResponse> noRefusal = ChatValidators.noRefusal(saysNo);

        assertInvalid(noRefusal.check(answer("nope, not doing that")), "refusal");
        assertThat(noRefusal.check(answer("here you go"))).isEmpty();
        assertThat(noRefusal.check(toolCall())).isEmpty();
        assertThat(asked).hasValue(2);
    }

    @Test
    void commonRefusalsRecognisesTypicalOpeningsIgnoringCase() {
        Predicate<String> refusal = ChatValidators.commonRefusals();

        assertThat(refusal).accepts(
                "I'm sorry, but I can't help with that.",
                "I'm sorry, but I cannot do this",
                "  \ni CANNOT help with that request",
                "I can't assist with that.",
                "I cannot assist with requests like this",
                "I\u2019m sorry, but I can\u2019t share that.",
                "As an AI language model, I have no opinions.",
                "As an AI");
        assertThat(refusal).rejects(
                "Sure, here is the answer.",
                "The answer is 42. I'm sorry, but I can't say more.",
                "I cannot help without more details: which city?",
                "As an AIR traffic controller, you should...",
                "I'm sorry for the delay; here it is.",
                "");
    }

    @Test
    void commonRefusalsPlugsIntoNoRefusal() {
        Validator<ChatResponse> noRefusal = ChatValidators.noRefusal(ChatValidators.commonRefusals());

        assertInvalid(noRefusal.check(answer("I cannot help with that.")), "refusal");
        assertThat(noRefusal.check(answer("{\"name\":\"Ada\"}"))).isEmpty();
    }

    // through a route

    @Test
    void aRouteEscalatesPastAnAnswerThatDoesNotMatchTheRequestedSchema() {
        ChatResponse wrongType = ChatResponse.of("a", "small", "{\"name\":\"Ada\",\"age\":\"thirty-six\"}", "stop", null);
        ChatResponse matching = ChatResponse.of("b", "large", "{\"name\":\"Ada\",\"age\":36}", "stop", null);
        Provider<ChatRequest, ChatResponse> small = Provider.of("small", (request, context) -> Mono.just(wrongType));
        Provider<ChatRequest, ChatResponse> large = Provider.of("large", (request, context) -> Mono.just(matching));
        Route<ChatRequest, ChatResponse> route = Router.create().<ChatRequest, ChatResponse>route("structured")
                .validate(ChatValidators.nonEmpty())
                .validate(ChatValidators.matchesRequestedFormat())
                .tier(small)
                .tier(large)
                .build();

        StepVerifier.create(route.execute(schemaRequest(PERSON_SCHEMA)))
                .assertNext(outcome -> {
                    assertThat(outcome.provider()).isEqualTo("large");
                    assertThat(outcome.value()).isSameAs(matching);
                    assertThat(trail(outcome)).containsExactly(
                            "small#1 invalid: content does not match the requested schema: $.age: string found, integer expected",
                            "large#1 ok");
                    assertThat(outcome.fallbackTrigger().kind()).isEqualTo(FailureKind.INVALID);
                })
                .verifyComplete();
    }

    private static List<String> trail(Outcome<?> outcome) {
        List<String> trail = new ArrayList<>();
        outcome.attempts().forEach(attempt -> trail.add(attempt.toString()));
        return trail;
    }

    private static JsonNode node(String json) {
        return Json.object("{\"v\":" + json + "}", "value").get("v");
    }
}
