package dev.detour.core.spi;

/**
 * The operators' overrides of providers that are not breaker states: a disabled provider is skipped by every
 * route until enabled again. Thread-safe; never blocks ({@link #disabled(String)} is read on every request).
 */
public interface Overrides {

    /** Whether {@code provider} is disabled. */
    boolean disabled(String provider);

    /** Disables ({@code true}) or enables {@code provider}. */
    void disabled(String provider, boolean disabled);
}
