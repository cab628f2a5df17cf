package dev.detour.test;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * Lets OpenTelemetry find its context storage on whichever thread first asks for the current context: a
 * one-time {@code ServiceLoader} read of the class path in {@code LazyStorage}'s class initialisation, which in
 * the Spring WebFlux application's tests happens on an event loop (Spring's server observation is the first
 * to ask). Only that initialisation is allowed; every other blocking call still fails. Registered through
 * {@code META-INF/services} in the test resources, which BlockHound's JUnit integration loads.
 */
public final class OpenTelemetryStorageIntegration implements BlockHoundIntegration {

    @Override
    public void applyTo(BlockHound.Builder builder) {
        builder.allowBlockingCallsInside("io.opentelemetry.context.LazyStorage", "<clinit>");
    }
}
