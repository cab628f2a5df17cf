/**
 * LLM routes: the canonical (OpenAI-shaped) {@link dev.detour.llm.ChatRequest},
 * {@link dev.detour.llm.ChatResponse} and {@link dev.detour.llm.ChatChunk}, the
 * {@link dev.detour.llm.ChatProvider} contract and the builders' common settings, and
 * {@link dev.detour.llm.ChatStreams}, which makes streaming chat routes of them.
 */
package dev.detour.llm;
