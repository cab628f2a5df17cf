/**
 * The engine's mechanisms: one provider call, the hedged race, the decision after a failure and the
 * request's trail. Internal: public only so that {@code dev.detour.core} can use them; not an API, and
 * free to change in any release.
 */
package dev.detour.core.internal;
