package dev.detour.http;

import dev.detour.http.config.EditDistance;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** Close matches for a name the caller got wrong: a few known names within a small edit distance, or sharing a prefix. */
final class DidYouMean {

    /** The most suggestions an error names. */
    static final int MAX = 5;

    private DidYouMean() {
    }

    /**
     * Up to {@code max} of {@code known} close to {@code wrong}, closest first (ties in {@code known}'s
     * order): those within an edit distance of about a third of the name (at least 1, at most 3; a
     * swap of neighbours is one edit), and those of which {@code wrong} is a prefix, or which are a
     * prefix of it, at least 3 characters long; case and the separators {@code - _ . : /} and spaces are
     * ignored ({@code gpt4o} is {@code gpt-4o}).
     */
    static List<String> closest(String wrong, List<String> known, int max) {
        String name = squash(wrong == null ? "" : wrong);
        int allowed = Math.max(1, Math.min(3, name.length() / 3));
        record Match(String name, int score, int index) {
        }
        List<Match> matches = new ArrayList<>();
        for (int i = 0; i < known.size(); i++) {
            String candidate = known.get(i);
            String lower = squash(candidate);
            int distance = Math.abs(name.length() - lower.length()) > allowed ? allowed + 1 : EditDistance.between(name, lower);
            boolean prefix = Math.min(name.length(), lower.length()) >= 3 && (lower.startsWith(name) || name.startsWith(lower));
            if (distance <= allowed || prefix) {
                matches.add(new Match(candidate, distance <= allowed ? distance : allowed + 1, i));
            }
        }
        matches.sort(Comparator.comparingInt(Match::score).thenComparingInt(Match::index));
        return matches.stream().limit(max).map(Match::name).toList();
    }

    private static String squash(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        StringBuilder squashed = new StringBuilder(lower.length());
        for (int i = 0; i < lower.length(); i++) {
            char c = lower.charAt(i);
            if ("-_.:/ ".indexOf(c) < 0) {
                squashed.append(c);
            }
        }
        return squashed.toString();
    }

    /** {@code 'a'}, {@code 'a' or 'b'}, {@code 'a', 'b' or 'c'}. */
    static String alternatives(List<String> names) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < names.size(); i++) {
            if (i > 0) {
                text.append(i == names.size() - 1 ? " or " : ", ");
            }
            text.append('\'').append(names.get(i)).append('\'');
        }
        return text.toString();
    }
}
