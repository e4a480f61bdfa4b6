package io.kiln.agent.dataplane;

import io.kiln.KilnException;
import io.kiln.bpf.BpfMap;
import io.kiln.runtime.AttachedEndpoint;
import io.kiln.runtime.EndpointLoader;
import io.kiln.runtime.TemplateObject;
import io.kiln.runtime.Tier0;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The dataplane's tier-0 bookkeeping: the tier 0 loaded per variant (and the namespace its endpoints'
 * interfaces are in: ifindexes are per namespace), which endpoints run on one (in memory, and as the
 * marker file {@code ID.tier0} beside the state file, so a restarted agent knows), and taking an
 * endpoint off its tier 0 (its config entry and its maps' places in the maps of maps), at once or
 * after a grace for packets in flight. Thread-safe.
 */
final class Tier0Endpoints {
    private final EndpointLoader loader;
    private final Map<String, Tier0> loaded = new ConcurrentHashMap<>(); // tier-0 variant key -> loaded tier 0
    private final Map<String, String> namespaces = new ConcurrentHashMap<>(); // variant key -> its interfaces' namespace
    private final Set<Integer> on = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService cleanup = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "kiln-tier0-cleanup");
        t.setDaemon(true);
        return t;
    });

    Tier0Endpoints(EndpointLoader loader) {
        this.loader = loader;
    }

    /** The tier 0 of {@code object}, loaded (and verified) the first time its key is asked for. */
    Tier0 tier0(String key, TemplateObject object) {
        return loaded.computeIfAbsent(key, k -> Tier0.load(loader, object));
    }

    /** True when the tier 0 of {@code key} serves endpoints of namespace {@code ns}, or none yet (then it does now). */
    boolean serves(String key, String ns) {
        String served = namespaces.putIfAbsent(key, ns);
        return served == null || served.equals(ns);
    }

    /** True when endpoint {@code id} runs on a tier 0 as far as this process knows. */
    boolean isOn(int id) {
        return on.contains(id);
    }

    /** True when endpoint {@code id} runs on a tier 0 as this process or an earlier one recorded. */
    boolean recorded(int id) {
        return on.contains(id) || Files.exists(marker(id));
    }

    /** At adoption: what the marker file says of endpoint {@code id}, taken into memory; true when on tier 0. */
    boolean adopt(int id) {
        if (Files.exists(marker(id))) {
            on.add(id);
            return true;
        }
        return false;
    }

    /** Records that endpoint {@code id} runs on tier 0 ({@code true}) or no longer does. */
    void mark(int id, boolean onTier0) {
        Path marker = marker(id);
        try {
            if (onTier0) {
                Files.createDirectories(marker.getParent());
                Files.write(marker, new byte[0]);
                on.add(id);
            } else {
                on.remove(id);
                Files.deleteIfExists(marker);
            }
        } catch (IOException e) {
            throw new KilnException("endpoint " + id + ": " + (onTier0 ? "write " : "remove ") + marker + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * The endpoint runs tier 1 now: its config entry and its maps' places in the maps of maps go (its
     * maps stay, pinned, used by its tier-1 program), after {@code grace} (zero: at once). A
     * promotion's link update does not wait for packets the tier-0 program is handling on another
     * CPU, and those still look the endpoint's config and maps up. Skipped if the endpoint is back on
     * tier 0 by then. Through the loaded tier 0 when this process registered it, else (a restarted
     * agent) through the pinned node maps.
     */
    void leave(AttachedEndpoint a, Duration grace) {
        int id = a.id();
        int ifindex = a.ifindex();
        mark(id, false);
        Runnable forget = () -> {
            if (on.contains(id)) {
                return; // registered again meanwhile: the entries are its new ones
            }
            // through the pins first, outside Tier0's lock: a delete from a map of maps in use can take
            // milliseconds, and the next endpoint's registration must not wait for it
            forget(id, ifindex);
            Tier0 known = loaded.values().stream().filter(x -> x.isRegistered(id)).findFirst().orElse(null);
            if (known != null) {
                known.remove(id); // its own bookkeeping; the entries are gone already
            }
        };
        if (grace.isZero()) {
            forget.run();
            return;
        }
        cleanup.schedule(() -> {
            try {
                forget.run();
            } catch (RuntimeException e) {
                // the entries stay until the endpoint is removed; they name maps it still uses
                System.err.println("kiln agent: endpoint " + id + ": removing its tier-0 entries: " + e.getMessage());
            }
        }, grace.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void forget(int id, int ifindex) {
        Path configs = loader.pins().nodeMap(Tier0.CONFIG_MAP);
        if (Files.exists(configs)) {
            try (BpfMap m = BpfMap.openPinned(configs)) {
                m.delete(u32(ifindex));
            }
        }
        Path nodeDir = configs.getParent();
        if (!Files.isDirectory(nodeDir)) {
            return;
        }
        try (java.util.stream.Stream<Path> pins = Files.list(nodeDir)) {
            for (Path outer : pins.filter(p -> p.getFileName().toString().endsWith(Tier0.INNER_MAPS_SUFFIX)).toList()) {
                try (BpfMap m = BpfMap.openPinned(outer)) {
                    if (m.isMapOfMaps()) {
                        m.delete(u32(id));
                    }
                }
            }
        } catch (IOException e) {
            throw new KilnException("endpoint " + id + ": list " + nodeDir + ": " + e.getMessage(), e);
        }
    }

    private static byte[] u32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(v).array();
    }

    private Path marker(int id) {
        return loader.stateDir().resolve(id + ".tier0");
    }

    /** Lets the removals already scheduled run (entries of endpoints promoted just now still go, after their grace). */
    void drain() {
        cleanup.shutdown();
        try {
            cleanup.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Lets go of this process's handles on the loaded tier 0s; their programs keep running. */
    void close() {
        loaded.values().forEach(Tier0::close);
        loaded.clear();
    }
}
