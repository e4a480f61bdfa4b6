package io.kiln.runtime;

import io.kiln.bpf.BpfMap;
import io.kiln.bpf.BpfObject;
import io.kiln.bpf.BpfProgram;
import io.kiln.runtime.internal.PinnedMaps;
import io.kiln.template.ProgramDecl;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A template's object loaded for one endpoint: its constants are in {@code .rodata}, its maps
 * created or reused from their pins, its programs verified and loaded but not attached. Owns the
 * libbpf object: {@link #close()} releases this process's fds (attached programs and pinned maps
 * stay in the kernel).
 */
public final class SpecializedEndpoint implements AutoCloseable {
    private final Endpoint endpoint;
    private final TemplateObject object;
    private final BpfObject bpf;
    private final Map<String, Path> mapPins;
    private final PinnedMaps pinned; // null: nothing to record or migrate
    private final Map<String, Long> phaseNanos = java.util.Collections.synchronizedMap(new LinkedHashMap<>());

    SpecializedEndpoint(Endpoint endpoint, TemplateObject object, BpfObject bpf, Map<String, Path> mapPins,
                        PinnedMaps pinned) {
        this.endpoint = endpoint;
        this.object = object;
        this.bpf = bpf;
        this.mapPins = Map.copyOf(mapPins);
        this.pinned = pinned;
    }

    /** The pinned maps whose layout changed and which this load moved into new maps (empty for most loads). */
    public List<MigratedMap> migratedMaps() {
        if (pinned == null) {
            return List.of();
        }
        List<MigratedMap> out = new ArrayList<>();
        for (PinnedMaps.Migrated m : pinned.migrations()) {
            if (m.ofMaps() != null) {
                out.add(new MigratedMap(m.name(), m.pin(), m.ofMaps().from().toString(),
                        m.ofMaps().to() + " (inner " + m.ofMaps().inner() + ")", m.copied(), m.nanos()));
                continue;
            }
            out.add(new MigratedMap(m.name(), m.pin(), m.migration().from().definition().toString(),
                    m.migration().to().definition().toString(), m.copied(), m.nanos()));
        }
        return out;
    }

    /**
     * Where the time of this load and of the swap or attach that put it on its hooks went, in
     * nanoseconds, in order: {@code open} (the object, constants), {@code maps} (pins checked; new
     * maps created and filled for a migration), {@code load} (kernel load: verifier, map creation),
     * {@code hooks} (attach or link updates), {@code rename} and {@code catchup} (a migration's
     * commit), {@code retired} (catch-up of old node maps other endpoints still used),
     * {@code records} (layout records), {@code release} (the previous load's handles closed).
     */
    public Map<String, Long> phaseNanos() {
        synchronized (phaseNanos) {
            return new LinkedHashMap<>(phaseNanos);
        }
    }

    void phase(String name, long nanos) {
        phaseNanos.merge(name, nanos, Long::sum);
    }

    /** The programs are on their hooks: migrated maps replace their pins, layouts are recorded. */
    void commitMaps(java.util.function.Supplier<java.util.Collection<Integer>> otherHookedPrograms) {
        if (pinned != null) {
            pinned.commit(bpf::map, otherHookedPrograms, this::phase);
        }
    }

    public Endpoint endpoint() {
        return endpoint;
    }

    public TemplateObject object() {
        return object;
    }

    /** The loaded libbpf object. */
    public BpfObject bpfObject() {
        return bpf;
    }

    /** A program the template declares (or any other in the object), loaded. */
    public BpfProgram program(String name) {
        return bpf.program(name);
    }

    /** The kernel ids of the template's declared programs, in declaration order. */
    public Map<String, Integer> programIds() {
        Map<String, Integer> ids = new LinkedHashMap<>();
        for (ProgramDecl p : object.template().programs()) {
            ids.put(p.name(), bpf.program(p.name()).id());
        }
        return ids;
    }

    /** A map of the object, created or reused. */
    public BpfMap map(String name) {
        return bpf.map(name);
    }

    /** Where the map is pinned, for a map the template declares pinned. */
    public Optional<Path> pinOf(String map) {
        return Optional.ofNullable(mapPins.get(map));
    }

    /** The pins of the template's pinned maps, by map name. */
    public Map<String, Path> mapPins() {
        return mapPins;
    }

    @Override
    public void close() {
        try {
            if (pinned != null) {
                pinned.abandon(); // a no-op once committed
            }
        } finally {
            bpf.close();
        }
    }

    @Override
    public String toString() {
        return endpoint + " specialized from " + object;
    }
}
