package dev.detour.webflux;

import dev.detour.llm.HttpSettings;
import java.util.Map;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;

/** Puts the caller's tenant in the Reactor context, where providers and hand-offs find it. */
// README webflux begin
@Component
class TenantFilter implements WebFilter {

    static final String TENANT = "tenant";

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String tenant = exchange.getRequest().getHeaders().getFirst("X-Tenant");
        if (tenant == null) {
            return chain.filter(exchange);
        }
        return chain.filter(exchange).contextWrite(Context.of(TENANT, tenant,
                HttpSettings.PROPAGATED_HEADERS, Map.of("x-tenant", tenant)));  // sent on to LLM providers
    }
}
// README webflux end
