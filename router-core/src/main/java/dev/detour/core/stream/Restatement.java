package dev.detour.core.stream;

/**
 * Decides, as a continuation's text arrives, how much of its start restates the text the caller
 * already has: a model asked to continue may answer the rest, restate its last words first, or start
 * over. The continuation restates a suffix of the sent text (starting at a word) when it begins with
 * that suffix (the whole text, two words or more, or the end of a word); the longest such suffix is
 * the overlap. The text is read only as far as needed to
 * decide, and past {@value #HOLD} characters a restatement in progress is followed character by
 * character instead of held. A continuation that starts the answer over and then, after a long stretch,
 * says something else is {@link #DIVERGED}: it cannot be spliced on seamlessly. Whitespace the sent text
 * ended with (which a prefill leaves out) is not repeated when the continuation starts with it.
 */
final class Restatement {

    /** Not decided yet: read more. */
    static final int PENDING = -1;
    /** The continuation restated part of the sent text, then went another way. */
    static final int DIVERGED = -2;

    static final int HOLD = 4096;
    private static final int MIN_OVERLAP = 2;
    private static final int DIVERGENCE = 24;

    private final String sent;
    private final String trailingSpace;
    private int[] candidates;
    private int count;
    private int read;
    private int skipped;
    private boolean skippingSpace;
    private int complete;
    private int restartMatched;
    private int follow = -1;
    private int decided = PENDING;

    Restatement(String sent) {
        this.sent = sent;
        int end = sent.length();
        while (end > 0 && Character.isWhitespace(sent.charAt(end - 1))) {
            end--;
        }
        this.trailingSpace = sent.substring(end);
        this.skippingSpace = !trailingSpace.isEmpty();
        this.candidates = new int[sent.length()];
        for (int p = 0; p < sent.length(); p++) {
            if (p == 0 || Character.isWhitespace(sent.charAt(p)) || Character.isWhitespace(sent.charAt(p - 1))) {
                candidates[count++] = p;
            }
        }
        if (count == 0) {
            decided = 0;
        }
    }

    /**
     * Reads more of the continuation: the number of its first characters that restate sent text once
     * that is decided (from the start of the continuation, all text fed so far included), else
     * {@link #PENDING} or {@link #DIVERGED}. Once decided, the answer does not change.
     */
    int feed(CharSequence text) {
        for (int i = 0; i < text.length() && decided == PENDING; i++) {
            step(text.charAt(i));
        }
        return decided;
    }

    /** Whether a restatement longer than the hold limit is being followed: what was fed so far is all restated. */
    boolean following() {
        return follow >= 0;
    }

    /** The decision when the continuation ends (or must be released) before {@link #feed} decided. */
    int finish() {
        if (decided == PENDING) {
            int matched = read - skipped;
            int restated = complete;
            for (int k = 0; k < count; k++) {
                if (candidates[k] + matched == sent.length() && counts(candidates[k])) {
                    restated = Math.max(restated, matched);
                }
            }
            decided = follow >= 0 ? read : restated > 0 ? skipped + restated : skipped;
        }
        return decided;
    }

    /**
     * Whether restating the sent text from {@code p} on is told apart from new text: the whole text, two
     * words or more, or the end of a word (a continuation that starts with the same short word, space
     * first, is more likely new text).
     */
    private boolean counts(int p) {
        if (p == 0) {
            return true;
        }
        int words = 0;
        for (int i = p; i < sent.length(); i++) {
            if (!Character.isWhitespace(sent.charAt(i)) && (i == p || Character.isWhitespace(sent.charAt(i - 1)))) {
                words++;
            }
        }
        return words >= 2 || !Character.isWhitespace(sent.charAt(p)) && sent.length() - p >= MIN_OVERLAP;
    }

    private void step(char ch) {
        if (skippingSpace) {
            if (skipped < trailingSpace.length() && trailingSpace.charAt(skipped) == ch) {
                read++;
                skipped++;
                return;
            }
            skippingSpace = false;
        }
        int m = read - skipped;
        read++;
        if (follow >= 0) {
            if (sent.charAt(follow + m) != ch) {
                decided = DIVERGED;
            } else if (follow + m + 1 == sent.length()) {
                decided = read;
            }
            return;
        }
        int kept = 0;
        for (int k = 0; k < count; k++) {
            int p = candidates[k];
            if (p + m == sent.length()) {
                if (counts(p)) {
                    complete = Math.max(complete, m);
                }
            } else if (sent.charAt(p + m) == ch) {
                candidates[kept++] = p;
            } else if (p == 0) {
                restartMatched = m;
            }
        }
        count = kept;
        if (count == 0) {
            decided = complete > 0 ? skipped + complete : restartMatched >= DIVERGENCE ? DIVERGED : skipped;
        } else if (m + 1 >= HOLD) {
            follow = candidates[0];
            count = 0;
            if (follow + m + 1 == sent.length()) {
                decided = read;
            }
        }
    }
}
