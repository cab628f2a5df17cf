/** Micrometer meters from a router's events: {@link dev.detour.core.telemetry.RouteMetrics}. */
package dev.detour.core.telemetry;
