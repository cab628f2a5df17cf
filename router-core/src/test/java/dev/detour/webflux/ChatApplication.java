package dev.detour.webflux;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A Spring Boot WebFlux application that uses Detour the way the README tells a user to: the router and
 * routes are beans ({@link DetourConfig}), controllers return a route's {@code Mono} or a stream route's
 * {@code Flux} as is ({@link ChatController}), a deadline maps to 504 ({@link DetourErrors}) and a
 * {@code WebFilter} puts the caller's tenant in the Reactor context ({@link TenantFilter}).
 * {@link WebFluxAppTest} runs it on a real port against the simulated providers.
 */
@SpringBootApplication
public class ChatApplication {

    public static void main(String[] args) {
        SpringApplication.run(ChatApplication.class, args);
    }
}
