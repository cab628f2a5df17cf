/**
 * The router's YAML configuration: checked against a JSON Schema, bound to records by Jackson, and judged by
 * the core's own builders; every problem is reported at once with its path.
 */
package dev.detour.http.config;
