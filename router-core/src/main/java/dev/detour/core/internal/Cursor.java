package dev.detour.core.internal;

import java.util.Arrays;
import java.util.Objects;

/**
 * Where a request stands: tier {@code tier}, whose providers are tried in {@code order} (indices into
 * the tier's providers, never modified), at {@code position} in that order, on its {@code tries}-th try
 * there. Internal.
 *
 * @param tier     the tier, from 0; the route's context-window tier comes after its ordinary ones
 * @param order    the tier's providers in the order this request tries them
 * @param position the position in {@code order} of the provider being tried
 * @param tries    the tries of that provider so far, this one included, from 1
 */
public record Cursor(int tier, int[] order, int position, int tries) {

    /** The first try of the first provider of {@code tier} in {@code order}. */
    public static Cursor first(int tier, int[] order) {
        return new Cursor(tier, order, 0, 1);
    }

    /** The provider's index in its tier. */
    public int provider() {
        return order[position];
    }

    /** The provider's next try. */
    public Cursor retried() {
        return new Cursor(tier, order, position, tries + 1);
    }

    /** The first try of the provider at {@code position} in the same order. */
    public Cursor at(int position) {
        return new Cursor(tier, order, position, 1);
    }

    /** How many positions of the order are left from this one, this one included. */
    public int remaining() {
        return order.length - position;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Cursor that && tier == that.tier && position == that.position && tries == that.tries
                && Arrays.equals(order, that.order);
    }

    @Override
    public int hashCode() {
        return Objects.hash(tier, Arrays.hashCode(order), position, tries);
    }

    @Override
    public String toString() {
        return "Cursor[tier=" + tier + ", order=" + Arrays.toString(order) + ", position=" + position + ", tries=" + tries + "]";
    }
}
