/** The open-loop benchmark: generator, scenarios, report. */
package dev.detour.bench;
