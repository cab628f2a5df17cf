/**
 * The open-loop benchmark: generator, scenarios, report; Detour side by side with its peers, each
 * router in a process of its own, with the CPU and memory each process used.
 */
package dev.detour.bench;
