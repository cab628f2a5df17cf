package dev.detour.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BalancerTest {

    /** Providers with fixed names, availability and scores. */
    private record Fixed(List<String> names, Set<String> down, Map<String, Double> scores) implements Balancer.Candidates {

        static Fixed of(String... names) {
            return new Fixed(List.of(names), Set.of(), Map.of());
        }

        Fixed down(String... down) {
            return new Fixed(names, Set.of(down), scores);
        }

        Fixed scores(Map<String, Double> scores) {
            return new Fixed(names, down, scores);
        }

        @Override
        public int size() {
            return names.size();
        }

        @Override
        public String name(int i) {
            return names.get(i);
        }

        @Override
        public boolean available(int i) {
            return !down.contains(names.get(i));
        }

        @Override
        public double score(int i) {
            return scores.getOrDefault(names.get(i), Double.NaN);
        }
    }

    private static Map<Integer, Integer> firstChoices(Balancer balancer, Balancer.Candidates candidates, int draws) {
        Map<Integer, Integer> firsts = new HashMap<>();
        for (int i = 0; i < draws; i++) {
            firsts.merge(balancer.order(candidates)[0], 1, Integer::sum);
        }
        return firsts;
    }

    @Test
    void orderedKeepsTheListedOrderButPutsUnavailableProvidersLast() {
        assertThat(Balancer.ordered().order(Fixed.of("a", "b", "c"))).containsExactly(0, 1, 2);
        assertThat(Balancer.ordered().order(Fixed.of("a", "b", "c").down("a"))).containsExactly(1, 2, 0);
    }

    @Test
    void roundRobinStartsEachRequestWithTheNextProvider() {
        Balancer balancer = Balancer.roundRobin();
        Fixed three = Fixed.of("a", "b", "c");
        assertThat(balancer.order(three)).containsExactly(0, 1, 2);
        assertThat(balancer.order(three)).containsExactly(1, 2, 0);
        assertThat(balancer.order(three)).containsExactly(2, 0, 1);
        assertThat(balancer.order(three.down("a"))).containsExactly(1, 2, 0);
    }

    @Test
    void seededWeightedChoicesFollowTheWeights() {
        Balancer balancer = Balancer.weighted(Map.of("a", 3.0, "b", 1.0, "c", 0.0), new Random(42));
        Map<Integer, Integer> firsts = firstChoices(balancer, Fixed.of("a", "b", "c"), 20_000);

        assertThat(firsts.get(0) / 20_000.0).isCloseTo(0.75, org.assertj.core.data.Offset.offset(0.015));
        assertThat(firsts.get(1) / 20_000.0).isCloseTo(0.25, org.assertj.core.data.Offset.offset(0.015));
        assertThat(firsts).doesNotContainKey(2);
    }

    @Test
    void weightedSkipsAnUnavailableProviderWhateverItsWeight() {
        Balancer balancer = Balancer.weighted(Map.of("a", 100.0, "b", 1.0), new Random(7));
        Map<Integer, Integer> firsts = firstChoices(balancer, Fixed.of("a", "b").down("a"), 1000);
        assertThat(firsts).containsOnlyKeys(1);
    }

    @Test
    void badWeightsAreRefused() {
        assertThatThrownBy(() -> Balancer.weighted(Map.of("a", -1.0)))
                .hasMessage("weight of 'a' must be a finite number >= 0, was -1.0");
        assertThat(Balancer.weighted(Map.of("a", 1.0, "z", 2.0)).unknownProviders(List.of("a", "b"))).isEqualTo("z");
    }

    @Test
    void leastLatencyPrefersTheFasterOfTwo() {
        Fixed two = Fixed.of("slow", "fast").scores(Map.of("slow", 200e6, "fast", 20e6));
        for (int i = 0; i < 100; i++) {
            assertThat(Balancer.leastLatency(new Random(i)).order(two)).containsExactly(1, 0);
        }
    }

    @Test
    void leastLatencyByTwoChoicesNeverLeadsWithTheSlowestAndMostlyWithTheFastest() {
        Fixed three = Fixed.of("a", "b", "c").scores(Map.of("a", 50e6, "b", 10e6, "c", 90e6));
        Map<Integer, Integer> firsts = firstChoices(Balancer.leastLatency(new Random(1)), three, 9000);
        assertThat(firsts).doesNotContainKey(2);
        assertThat(firsts.get(1)).isGreaterThan(5000);
    }

    @Test
    void leastLatencyTriesAProviderWithNoLatencyYet() {
        Fixed fresh = Fixed.of("known", "new").scores(Map.of("known", 1e6));
        assertThat(Balancer.leastLatency().order(fresh)[0]).isEqualTo(1);
    }
}
