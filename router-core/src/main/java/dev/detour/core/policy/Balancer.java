package dev.detour.core.policy;

import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;

/**
 * Orders a tier's providers for one request: the first is called first, the others are the tier's
 * failover order. Every strategy puts providers that are unavailable (breaker open, disabled by an
 * operator) last, so they are reached only when every other has failed, and then fail fast. A strategy
 * of one's own extends it and implements {@link #prefer} over the {@link Candidates} it is shown.
 */
public abstract class Balancer {

    private static final Balancer ORDERED = new Balancer() {
        @Override
        protected void prefer(Candidates candidates, int[] order) {
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
        }

        @Override
        public String toString() {
            return "ordered";
        }
    };

    /** For a strategy of one's own: implement {@link #prefer}; unavailable providers still go last. */
    protected Balancer() {
    }

    /** What a balancer knows of a tier's providers. */
    public interface Candidates {

        /** How many providers. */
        int size();

        /** The name of provider {@code i}. */
        String name(int i);

        /** Whether provider {@code i} can be called now. */
        boolean available(int i);

        /** Provider {@code i}'s recent latency and error rate as one score (lower is better), NaN when unknown. */
        double score(int i);
    }

    /** The providers in the order they are listed (priority). */
    public static Balancer ordered() {
        return ORDERED;
    }

    /** Each request starts with the next provider in turn. */
    public static Balancer roundRobin() {
        return new RoundRobin();
    }

    /**
     * A random order in which each provider comes first in proportion to its weight; providers missing
     * from {@code weights} weigh 1.
     */
    public static Balancer weighted(Map<String, Double> weights) {
        return weighted(weights, null);
    }

    /** Like {@link #weighted(Map)}, drawing from {@code random}, which must be thread-safe. */
    public static Balancer weighted(Map<String, Double> weights, RandomGenerator random) {
        weights.forEach((name, weight) -> {
            if (!(weight >= 0) || Double.isInfinite(weight)) {
                throw new IllegalArgumentException("weight of '" + name + "' must be a finite number >= 0, was " + weight);
            }
        });
        return new Weighted(Map.copyOf(weights), random);
    }

    /**
     * Power of two choices on recent latency: two providers drawn at random, the one with the lower
     * score (latency EWMA, penalised by errors; unknown counts as best, so new providers get tried)
     * goes first; the rest follow by score.
     */
    public static Balancer leastLatency() {
        return leastLatency(null);
    }

    /** Like {@link #leastLatency()}, drawing from {@code random}, which must be thread-safe. */
    public static Balancer leastLatency(RandomGenerator random) {
        return new LeastLatency(random);
    }

    /** Names of the providers this balancer has a setting for that are not among {@code names}, if any. */
    public String unknownProviders(java.util.Collection<String> names) {
        return null;
    }

    /** The order of {@code candidates} for one request: indexes, available providers first. */
    public final int[] order(Candidates candidates) {
        int[] order = new int[candidates.size()];
        prefer(candidates, order);
        boolean[] available = new boolean[order.length];
        for (int i = 0; i < order.length; i++) {
            available[i] = candidates.available(i);
        }
        int[] sorted = new int[order.length];
        int at = 0;
        for (int index : order) {
            if (available[index]) {
                sorted[at++] = index;
            }
        }
        for (int index : order) {
            if (!available[index]) {
                sorted[at++] = index;
            }
        }
        return sorted;
    }

    /** Fills {@code order} with every candidate's index, preferred first; availability is sorted out after. */
    protected abstract void prefer(Candidates candidates, int[] order);

    static RandomGenerator random(RandomGenerator random) {
        return random != null ? random : ThreadLocalRandom.current();
    }

    private static final class RoundRobin extends Balancer {

        private final AtomicInteger next = new AtomicInteger();

        @Override
        protected void prefer(Candidates candidates, int[] order) {
            int first = Math.floorMod(next.getAndIncrement(), order.length);
            for (int i = 0; i < order.length; i++) {
                order[i] = (first + i) % order.length;
            }
        }

        @Override
        public String toString() {
            return "round-robin";
        }
    }

    private static final class Weighted extends Balancer {

        private final Map<String, Double> weights;
        private final RandomGenerator random;

        Weighted(Map<String, Double> weights, RandomGenerator random) {
            this.weights = weights;
            this.random = random;
        }

        @Override
        protected void prefer(Candidates candidates, int[] order) {
            RandomGenerator draw = random(random);
            double[] keys = new double[order.length];
            for (int i = 0; i < order.length; i++) {
                double weight = weights.getOrDefault(candidates.name(i), 1.0);
                // Exponential race: the smallest -ln(u)/w comes first with probability w / sum(w).
                keys[i] = weight == 0 ? Double.POSITIVE_INFINITY : -Math.log(1 - draw.nextDouble()) / weight;
                order[i] = i;
            }
            sortBy(order, keys);
        }

        @Override
        public String unknownProviders(java.util.Collection<String> names) {
            return weights.keySet().stream().filter(name -> !names.contains(name)).sorted()
                    .reduce((a, b) -> a + ", " + b).orElse(null);
        }

        @Override
        public String toString() {
            return "weighted" + weights;
        }
    }

    private static final class LeastLatency extends Balancer {

        private final RandomGenerator random;

        LeastLatency(RandomGenerator random) {
            this.random = random;
        }

        @Override
        protected void prefer(Candidates candidates, int[] order) {
            int n = order.length;
            double[] keys = new double[n];
            for (int i = 0; i < n; i++) {
                double score = candidates.score(i);
                keys[i] = Double.isNaN(score) ? -1 : score;
                order[i] = i;
            }
            sortBy(order, keys);
            if (n > 2) {
                RandomGenerator draw = random(random);
                int a = draw.nextInt(n);
                int b = (a + 1 + draw.nextInt(n - 1)) % n;
                int winner = keys[a] <= keys[b] ? a : b;
                int at = 0;
                while (order[at] != winner) {
                    at++;
                }
                System.arraycopy(order, 0, order, 1, at);
                order[0] = winner;
            }
        }

        @Override
        public String toString() {
            return "least-latency";
        }
    }

    private static void sortBy(int[] order, double[] keys) {
        for (int i = 1; i < order.length; i++) {
            int index = order[i];
            int j = i - 1;
            while (j >= 0 && keys[order[j]] > keys[index]) {
                order[j + 1] = order[j];
                j--;
            }
            order[j + 1] = index;
        }
    }
}
