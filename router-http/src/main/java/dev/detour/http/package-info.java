/**
 * The standalone router on Reactor Netty: the OpenAI-compatible API, plain JSON routes, the admin API,
 * metrics and health, one log line per request. A thin shell over the core.
 */
package dev.detour.http;
