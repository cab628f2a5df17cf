/** The running router a configuration describes: its providers, its router and a route per model alias. */
package dev.detour.http.gateway;
