package dev.detour.http.config;

import dev.detour.core.policy.FailureKind;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * How the configuration writes names: its keys in kebab-case (camelCase accepted), the words of its
 * vocabularies (the enums: failure kinds in snake case, validators in camel case, the rest in kebab
 * case), matched ignoring case, {@code -} and {@code _}; and which known name a misspelt one meant.
 */
final class Words {

    private Words() {
    }

    /** The word the configuration writes for {@code value}: {@code rate_limited}, {@code nonEmpty}, {@code round-robin}. */
    static String word(Enum<?> value) {
        String lower = value.name().toLowerCase(Locale.ROOT);
        return value instanceof FailureKind ? lower
                : value instanceof RouteConfig.Validator ? camel(lower.replace('_', '-')) : lower.replace('_', '-');
    }

    /**
     * The value of {@code type} written {@code word}, ignoring case, '-' and '_'.
     *
     * @throws IllegalArgumentException naming the known words when there is none
     */
    static <E extends Enum<E>> E value(Class<E> type, String word) {
        for (E value : type.getEnumConstants()) {
            if (squash(word(value)).equals(squash(word))) {
                return value;
            }
        }
        throw new IllegalArgumentException("'" + word + "' is not one of " + String.join(", ", words(type)));
    }

    /** {@code word} as the configuration writes it: the word of the value of {@code type} it names. */
    static <E extends Enum<E>> String canonical(Class<E> type, String word) {
        return word(value(type, word));
    }

    /** Every word of {@code type}, in order. */
    static List<String> words(Class<? extends Enum<?>> type) {
        return Arrays.stream(type.getEnumConstants()).map(Words::word).toList();
    }

    /** The failure kinds named {@code names}, in order, or null for none (an empty list included). */
    static FailureKind[] kinds(List<String> names) {
        return names == null || names.isEmpty() ? null
                : names.stream().map(name -> value(FailureKind.class, name)).toArray(FailureKind[]::new);
    }

    /** {@code maxBodyBytes} and {@code max-body-bytes} alike become {@code max-body-bytes}. */
    static String kebab(String key) {
        StringBuilder out = new StringBuilder(key.length() + 4);
        for (char c : key.toCharArray()) {
            out.append(Character.isUpperCase(c) ? "-" + Character.toLowerCase(c) : String.valueOf(c));
        }
        return out.toString();
    }

    /** {@code max-body-bytes} becomes {@code maxBodyBytes}. */
    static String camel(String kebab) {
        StringBuilder out = new StringBuilder(kebab.length());
        for (int i = 0; i < kebab.length(); i++) {
            out.append(kebab.charAt(i) == '-' && i + 1 < kebab.length() ? Character.toUpperCase(kebab.charAt(++i)) : kebab.charAt(i));
        }
        return out.toString();
    }

    /** {@code Round_Robin} and {@code round-robin} alike become {@code roundrobin}. */
    static String squash(String text) {
        return text.replace("-", "").replace("_", "").toLowerCase(Locale.ROOT);
    }

    /** The known name {@code name} is probably a misspelling of, or null. */
    static String closest(String name, List<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : known) {
            int distance = EditDistance.between(name, candidate);
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return bestDistance <= 2 && bestDistance * 3 <= name.length() ? best : null;
    }
}
