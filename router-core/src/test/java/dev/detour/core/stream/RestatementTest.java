package dev.detour.core.stream;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RestatementTest {

    private static final String SENT = "The sky is blue because air scatters short";

    private static int decide(String sent, String... parts) {
        Restatement restatement = new Restatement(sent);
        for (String part : parts) {
            int verdict = restatement.feed(part);
            if (verdict != Restatement.PENDING) {
                return verdict;
            }
        }
        return restatement.finish();
    }

    @Test
    void newTextRestatesNothingAndIsDecidedAtOnce() {
        Restatement restatement = new Restatement(SENT);

        assertThat(restatement.feed(" wave")).isZero();
    }

    @Test
    void aRestartRestatesAllTheSentText() {
        assertThat(decide(SENT, "The sky is blue", " because air scatters short", " wavelengths more.")).isEqualTo(SENT.length());
    }

    @Test
    void restatedLastWordsAreFoundWhereverTheyStart() {
        assertThat(decide(SENT, " scatters short wavelengths")).isEqualTo(" scatters short".length());
        assertThat(decide(SENT, "air scatters short wavelengths")).isEqualTo("air scatters short".length());
    }

    @Test
    void aFewMatchingCharactersAreNotARestatement() {
        assertThat(decide(SENT, "ort")).isZero();
        assertThat(decide("I like the", " theory")).isZero();
    }

    @Test
    void theRestOfACutWordIsRestatedFromItsStart() {
        assertThat(decide("It is the theo", "theory of light")).isEqualTo("theo".length());
    }

    @Test
    void theDecisionWaitsWhileTheContinuationStillMatches() {
        Restatement restatement = new Restatement(SENT);

        assertThat(restatement.feed("The sky")).isEqualTo(Restatement.PENDING);
        assertThat(restatement.feed(" is blue because air scatters short")).isEqualTo(Restatement.PENDING);
        assertThat(restatement.feed(" light")).isEqualTo(SENT.length());
    }

    @Test
    void aRestartThatGoesAnotherWayDiverges() {
        assertThat(decide(SENT, "The sky is blue because of Rayleigh scattering.")).isEqualTo(Restatement.DIVERGED);
    }

    @Test
    void leadingSpaceAfterSentSpaceIsDropped() {
        assertThat(decide("Hello, ", " world")).isEqualTo(1);
        assertThat(decide("Hello,", " world")).isZero();
    }

    @Test
    void onlyTheWhitespaceTheSentTextEndedWithIsDropped() {
        assertThat(decide("def f():\n", "\n    return x")).isEqualTo(1);
        assertThat(decide("def f():\n", "    return x")).isZero();
    }

    @Test
    void aRepeatedLineInTheMiddleIsNotADivergence() {
        String sent = "for item in items:\n    print(\"Processing element:\", item)\nfor other in others:\n";
        assertThat(decide(sent, "    print(\"Processing element:\", other)\n")).isZero();
    }

    @Test
    void endingBeforeAnyRestatementIsProvenRestatesNothing() {
        assertThat(decide("I think that is the", " th")).isZero();
    }

    @Test
    void aLongRestatementIsFollowedPastTheHoldLimit() {
        String sent = "word ".repeat(Restatement.HOLD / 2) + "end";
        Restatement restatement = new Restatement(sent);

        assertThat(restatement.feed(sent.substring(0, Restatement.HOLD))).isEqualTo(Restatement.PENDING);
        assertThat(restatement.following()).isTrue();
        assertThat(restatement.feed(sent.substring(Restatement.HOLD))).isEqualTo(sent.length());

        Restatement diverging = new Restatement(sent);
        diverging.feed(sent.substring(0, Restatement.HOLD));
        assertThat(diverging.feed("x")).isEqualTo(Restatement.DIVERGED);
    }

    @Test
    void nothingSentMeansNothingRestated() {
        assertThat(new Restatement("").feed("anything")).isZero();
    }
}
