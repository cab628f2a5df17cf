/**
 * Simulated LLM providers for tests, the demo and the benchmark: one Reactor Netty server speaking the
 * OpenAI and Anthropic wire protocols, with scripted behaviours and faults. Shipped in its own jar.
 */
package dev.detour.sim;
