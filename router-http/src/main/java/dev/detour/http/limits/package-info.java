/**
 * Client keys' limits ({@code requests-per-minute}, {@code tokens-per-minute}, {@code spend-per-day}), counted
 * in the router's {@link dev.detour.core.spi.Counters}, and the usage and spend meters per key and per route.
 */
package dev.detour.http.limits;
