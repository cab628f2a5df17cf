/**
 * The LLM layer's plumbing: one HTTP transport that every provider dialect shares, server-sent events
 * (parser and writer), the mapping of provider errors to failures, and JSON. Internal: public only so that
 * Detour's other packages and modules can use them; not an API, and free to change in any release.
 */
package dev.detour.llm.internal;
