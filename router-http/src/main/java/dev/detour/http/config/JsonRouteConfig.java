package dev.detour.http.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A plain JSON route, served under {@code /routes/{name}/} by tiers of {@code http} providers.
 *
 * @param name          its name, the path segment after {@code /routes/}
 * @param deadline      the one deadline over every attempt (10 s unless set)
 * @param tiers         the tiers, tried in order; at least one
 * @param lastKnownGood the staleness up to which the last good answer to the same request is served
 *                      when every tier failed; {@code null} turns it off
 * @param defaultBody   the JSON text answered when every tier failed; {@code null} for none. The file
 *                      gives it as YAML, or as a string holding JSON text
 */
public record JsonRouteConfig(String name, Duration deadline, List<TierConfig> tiers, Duration lastKnownGood,
                              @JsonDeserialize(using = JsonRouteConfig.JsonText.class) String defaultBody) {

    /** The deadline unless set. */
    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(10);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BODY_HINT = " (give the body as JSON, e.g. '{\"status\": \"unknown\"}', or as YAML)";

    /**
     * Takes the default deadline unless set, copies the tiers, and builds the core's route over them.
     *
     * @throws ConfigException when the default body is not JSON text or the core refuses the deadline
     */
    public JsonRouteConfig {
        deadline = deadline != null ? deadline : DEFAULT_DEADLINE;
        tiers = List.copyOf(tiers);
        List<String> problems = new java.util.ArrayList<>(ConfigReader.routeProblems(name, deadline, tiers, TierConfig::timeout, "deadline"));
        if (defaultBody != null) {
            try (JsonParser parser = JSON.createParser(defaultBody)) {
                JsonNode parsed = JSON.readTree(parser);
                if (parsed == null || parsed.isMissingNode()) {
                    problems.add("default-body: '' is not JSON text" + BODY_HINT);
                } else if (parser.nextToken() != null) {
                    problems.add("default-body: '" + defaultBody + "' is not JSON text: more than one JSON value");
                }
            } catch (JsonProcessingException e) {
                String reason = e.getOriginalMessage().lines().findFirst().orElse("").trim();
                problems.add("default-body: '" + defaultBody + "' is not JSON text: " + reason + BODY_HINT);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        Objects.requireNonNull(name, "name");
    }

    /** Reads a default body given as YAML, or as a string of JSON text, as JSON text. */
    static final class JsonText extends JsonDeserializer<String> {
        @Override
        public String deserialize(JsonParser parser, DeserializationContext context) throws IOException {
            JsonNode body = parser.readValueAsTree();
            return body.isTextual() ? body.textValue() : body.toString();
        }
    }
}
