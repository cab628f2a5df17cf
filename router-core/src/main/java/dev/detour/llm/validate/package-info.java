/** Checks of chat answers for cascades (non-empty, finished, JSON, requested format, no refusal) and a confidence score. */
package dev.detour.llm.validate;
