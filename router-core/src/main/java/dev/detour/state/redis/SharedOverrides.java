package dev.detour.state.redis;

import dev.detour.core.spi.Overrides;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Disabled providers for a fleet: a Redis hash, changed by {@code override.lua}, which announces each change on the
 * channel; every router keeps a local set, read on every request, that the announcements keep current. A change
 * made while Redis is away holds locally and is sent when Redis answers again; then the fleet's set is read back.
 */
final class SharedOverrides implements Overrides {

    private final RedisLink link;
    private final String[] keys;
    private final Set<String> disabled = ConcurrentHashMap.newKeySet();
    private final Map<String, Boolean> whileAway = new ConcurrentHashMap<>();

    SharedOverrides(RedisLink link) {
        this.link = link;
        this.keys = new String[] {link.prefix + "disabled"};
    }

    @Override
    public boolean disabled(String provider) {
        return !disabled.isEmpty() && disabled.contains(provider);
    }

    @Override
    public void disabled(String provider, boolean disable) {
        mark(provider, disable);
        if (link.available()) {
            send(provider, disable);
        } else {
            whileAway.put(provider, disable);
        }
    }

    private void send(String provider, boolean disable) {
        link.eval(RedisLink.OVERRIDE, keys, provider, disable ? "1" : "0", link.channel).subscribe();
    }

    private void mark(String provider, boolean disable) {
        if (disable) {
            disabled.add(provider);
        } else {
            disabled.remove(provider);
        }
    }

    /** A change another router announced: {@code o|provider|1} or {@code o|provider|0}. */
    void announced(String[] fields) {
        mark(fields[1], "1".equals(fields[2]));
    }

    /** Sends what changed while Redis was away, then reads the fleet's set. */
    void refresh() {
        whileAway.forEach(this::send);
        whileAway.clear();
        link.hash(keys[0]).subscribe(fleet -> {
            disabled.retainAll(fleet.keySet());
            disabled.addAll(fleet.keySet());
        });
    }
}
