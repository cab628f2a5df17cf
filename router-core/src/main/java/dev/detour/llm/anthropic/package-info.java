/** A provider for the Anthropic Messages API, translating to and from the canonical shape. */
package dev.detour.llm.anthropic;
