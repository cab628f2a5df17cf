/** A provider for the OpenAI chat-completions API and every server that copies it. */
package dev.detour.llm.openai;
