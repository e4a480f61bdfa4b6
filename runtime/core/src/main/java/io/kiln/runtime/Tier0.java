package io.kiln.runtime;

import io.kiln.bpf.BpfMap;
import io.kiln.bpf.BpfObject;
import io.kiln.bpf.BpfProgram;
import io.kiln.bpf.MapDefinition;
import io.kiln.bpf.RodataConstant;
import io.kiln.host.Interfaces;
import io.kiln.host.Netns;
import io.kiln.runtime.internal.EndpointConstantCheck;
import io.kiln.runtime.internal.Errors;
import io.kiln.runtime.internal.LayoutRecords;
import io.kiln.runtime.internal.MapsOfMapsMigration;
import io.kiln.template.MapDecl;
import io.kiln.template.MapScope;
import io.kiln.template.ProgramDecl;
import io.kiln.template.TemplateDescriptor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Tier 0 of one variant on this node: its programs, loaded and verified once, shared by every
 * endpoint registered here. Each program finds its endpoint by the interface a packet is on, in the
 * node map {@value #CONFIG_MAP}, and the endpoint's own per-endpoint maps through maps of maps: for
 * every per-endpoint map {@code M} of the template that has a node map {@code M_maps}, the
 * endpoint's {@code M} sits in {@code M_maps} under its id. These inner maps are the endpoint's
 * pinned maps ({@code endpoints/ID/M}), which its tier-1 program reuses when
 * {@link EndpointLoader#swap} moves the endpoint there: nothing is copied at the swap.
 *
 * <p>The {@value #CONFIG_MAP} value is the endpoint's {@code .rodata} image: the same encoded
 * constants its tier-1 program gets, at the offsets the object's BTF gives for {@code .rodata}
 * (constants the endpoint does not set keep the object's compiled value). So this class knows no
 * template: a template whose config value does not mirror its {@code .rodata} is refused at load.
 *
 * <pre>{@code
 * try (Tier0 tier0 = Tier0.load(loader, genericObject)) {          // once per variant per node
 *     AttachedEndpoint ep = tier0.attach(endpoint, policy -> { });  // enforced now, no verifier on this path
 *     loader.swap(ep, specializedObject, endpoint);                // tier 1, atomically per hook
 * }
 * }</pre>
 *
 * Interface indexes are per network namespace: the host-side interfaces of every endpoint one
 * tier 0 serves must live in one namespace (the first registered endpoint's). Thread-safe.
 */
public final class Tier0 implements AutoCloseable {
    /** The node map tier 0 reads an endpoint's values from: u32 ifindex to the .rodata image. */
    public static final String CONFIG_MAP = "endpoint_configs";
    /** Suffix of the node map of maps that holds each endpoint's map of the same name. */
    public static final String INNER_MAPS_SUFFIX = "_maps";

    /**
     * Tier 0 of a variant whose node maps are pinned with other definitions (a build change such as
     * {@code ctSize}, not migrated yet): nothing was loaded. The specialized load of the variant
     * migrates them ({@link Specializer}); an endpoint goes straight to tier 1 meanwhile.
     */
    public static final class NodeMapsChanged extends EndpointException {
        private final List<String> maps;

        NodeMapsChanged(String message, List<String> maps) {
            super(message, false);
            this.maps = List.copyOf(maps);
        }

        /** Each changed map, with both definitions. */
        public List<String> maps() {
            return maps;
        }
    }

    private final EndpointLoader loader;
    private final TemplateObject object;
    private final BpfObject bpf;
    private final BpfMap configs;
    private final Map<String, BpfMap> outerByInner; // endpoint map name -> its map of maps
    private final byte[] defaultImage;
    private final Map<String, RodataConstant> layout = new LinkedHashMap<>();
    private final Map<Integer, Integer> ifindexById = new LinkedHashMap<>();
    private Netns namespace; // of the interfaces; fixed by the first registration

    private Tier0(EndpointLoader loader, TemplateObject object, BpfObject bpf, Map<String, BpfMap> outerByInner,
                  byte[] defaultImage) {
        this.loader = loader;
        this.object = object;
        this.bpf = bpf;
        this.configs = bpf.map(CONFIG_MAP);
        this.outerByInner = Map.copyOf(outerByInner);
        this.defaultImage = defaultImage;
        bpf.constants().forEach(c -> layout.put(c.name(), c));
    }

    /**
     * Loads tier 0 of a variant (its object built as the template's node-wide generic program, e.g.
     * the endpoint template with {@code configSource=node}) with the node maps pinned where
     * {@code loader}'s endpoints find them. The verifier runs here, once.
     *
     * @throws EndpointException the object has no {@value #CONFIG_MAP} node map, no map of maps for
     *                           any per-endpoint map, or a config value that is not its .rodata image
     */
    public static Tier0 load(EndpointLoader loader, TemplateObject object) {
        Objects.requireNonNull(loader, "loader");
        TemplateDescriptor t = object.template();
        String prefix = "tier 0 of template " + t.name() + ": ";
        loader.specializer().ensureBpffs();
        Map<String, MapDecl> declared = new LinkedHashMap<>();
        t.maps().forEach(m -> declared.put(m.name(), m));
        MapDecl config = declared.get(CONFIG_MAP);
        if (config == null || config.scope() != MapScope.NODE || !config.pinned()) {
            throw new EndpointException(prefix + "the template declares no pinned node map " + CONFIG_MAP
                    + " (ifindex -> the endpoint's .rodata image); tier 0 cannot find its endpoints", true);
        }
        String objectName = Specializer.objectName(t.name());
        BpfObject bpf;
        try {
            bpf = BpfObject.open(object.bytesNoCopy(), objectName);
        } catch (RuntimeException e) {
            throw Errors.withContext(prefix, e);
        }
        try {
            for (ProgramDecl p : t.programs()) {
                bpf.program(p.name());
            }
            PinLayout pins = loader.pins();
            boolean createsNodeMap = false;
            List<String> changed = new ArrayList<>();
            for (MapDecl m : t.maps()) {
                if (m.scope() == MapScope.NODE && m.pinned()) {
                    Path pin = pins.nodeMap(m.name());
                    createDirectories(pin.getParent(), prefix);
                    bpf.map(m.name()).setPinPath(pin);
                    createsNodeMap |= !Files.exists(pin);
                    if (Files.exists(pin)) {
                        try (BpfMap pinned = BpfMap.openPinned(pin)) {
                            MapDefinition wanted = bpf.map(m.name()).definition();
                            if (!pinned.definition().equals(wanted)) {
                                changed.add(m.name() + " (pinned: " + pinned.definition() + ", this variant: " + wanted + ")");
                            } else if (pinned.isMapOfMaps()) {
                                Optional<MapDefinition> inner = bpf.map(m.name()).innerDefinition();
                                Optional<String> mismatch = inner.flatMap(d -> MapsOfMapsMigration.innerMismatch(pinned, d));
                                mismatch.ifPresent(why -> changed.add(m.name() + " (pinned: " + why
                                        + "; this variant's inner maps: " + inner.get() + ")"));
                            }
                        }
                    }
                }
            }
            if (!changed.isEmpty()) {
                throw new NodeMapsChanged(prefix + "node maps are pinned with another definition than this variant's (or, for a map of maps, another inner map definition): "
                        + String.join("; ", changed) + ". Tier 0 does not migrate them: the first specialized load"
                        + " (tier 1) of the new variant does, and tier 0 fits again after it", changed);
            }
            byte[] image = defaultImage(bpf, prefix);
            if (createsNodeMap) {
                synchronized (Specializer.NODE_MAP_CREATION) {
                    bpf.load();
                }
            } else {
                bpf.load();
            }
            recordNodeMaps(loader, t, bpf);
            Map<String, BpfMap> outer = new LinkedHashMap<>();
            for (MapDecl m : t.maps()) {
                MapDecl o = declared.get(m.name() + INNER_MAPS_SUFFIX);
                if (m.scope() != MapScope.ENDPOINT || o == null || o.scope() != MapScope.NODE) {
                    continue;
                }
                if (!m.pinned()) {
                    throw new EndpointException(prefix + "map " + m.name() + ": tier 0 reaches it through "
                            + o.name() + ", so it must be pinned (the endpoint's tier-1 program reuses it from its pin)",
                            true);
                }
                BpfMap outerMap = bpf.map(o.name());
                if (!outerMap.isMapOfMaps()) {
                    throw new EndpointException(prefix + "map " + o.name() + ": expected a map of maps holding each "
                            + "endpoint's " + m.name() + ", found a " + outerMap.definition().typeName() + " map", true);
                }
                outer.put(m.name(), outerMap);
            }
            if (outer.isEmpty()) {
                throw new EndpointException(prefix + "no per-endpoint map M has a node map of maps M"
                        + INNER_MAPS_SUFFIX + ": tier 0 could not reach any endpoint's own maps", true);
            }
            return new Tier0(loader, object, bpf, outer, image);
        } catch (RuntimeException e) {
            bpf.close();
            throw e instanceof EndpointException ? e : Errors.withContext(prefix, e);
        }
    }

    /**
     * Records the layout of each pinned node map (maps of maps aside) as this object defines it, unless a record of that
     * very map exists (its definition is the object's: the load checked it). So a later variant that
     * changes a node map (e.g. {@code endpointsSize}: {@code endpoints}, {@code endpoint_configs})
     * migrates it field by field also on a node whose endpoints never ran tier 1.
     */
    private static void recordNodeMaps(EndpointLoader loader, TemplateDescriptor t, BpfObject bpf) {
        LayoutRecords records = loader.specializer().records();
        if (records == null) {
            return;
        }
        for (MapDecl m : t.maps()) {
            if (m.scope() != MapScope.NODE || !m.pinned()) {
                continue;
            }
            BpfMap map = bpf.map(m.name());
            if (map.isMapOfMaps()) {
                continue; // replaced by its definition and inner definition, never migrated by its fields
            }
            LayoutRecords.Lookup current = records.read(null, m.name());
            if (current.found() && current.recorded().mapId() == map.id()) {
                continue;
            }
            records.write(null, m.name(), map.id(), map.layout());
        }
    }

    /** The .rodata image with the object's compiled values; refuses a config value of another size. */
    private static byte[] defaultImage(BpfObject bpf, String prefix) {
        int valueSize = bpf.map(CONFIG_MAP).definition().valueSize();
        int keySize = bpf.map(CONFIG_MAP).definition().keySize();
        if (keySize != 4) {
            throw new EndpointException(prefix + "map " + CONFIG_MAP + ": key is " + keySize
                    + " bytes, expected 4 (u32 ifindex)", true);
        }
        int end = 0;
        for (RodataConstant c : bpf.constants()) {
            end = Math.max(end, c.offset() + c.size());
        }
        if (end > valueSize || (valueSize - end) >= 8) {
            throw new EndpointException(prefix + "map " + CONFIG_MAP + ": its value (" + valueSize
                    + " bytes) is not the .rodata image (" + end + " bytes of constants): lay the value out"
                    + " as the constants are, field by field", true);
        }
        byte[] image = new byte[valueSize];
        for (RodataConstant c : bpf.constants()) {
            byte[] v = bpf.constantValue(c.name());
            System.arraycopy(v, 0, image, c.offset(), v.length);
        }
        return image;
    }

    public TemplateObject object() {
        return object;
    }

    /** A tier-0 program, shared by every endpoint attached to it. */
    public BpfProgram program(String name) {
        return bpf.program(name);
    }

    /** The kernel ids of the template's programs, in declaration order. */
    public Map<String, Integer> programIds() {
        Map<String, Integer> ids = new LinkedHashMap<>();
        for (ProgramDecl p : object.template().programs()) {
            ids.put(p.name(), bpf.program(p.name()).id());
        }
        return ids;
    }

    /** The per-endpoint maps tier 0 reaches through maps of maps (e.g. policy, metrics). */
    public List<String> innerMaps() {
        return List.copyOf(outerByInner.keySet());
    }

    /** The {@value #CONFIG_MAP} value tier 0 would read for {@code endpoint}: its .rodata image. */
    public byte[] configValue(Endpoint endpoint) {
        String prefix = endpoint.label() + ": tier 0: ";
        EndpointConstantCheck.declared(object.template(), endpoint.constants(), prefix);
        Map<String, byte[]> present = EndpointConstantCheck.againstObject(object.template(), bpf, endpoint.constants(),
                prefix);
        byte[] image = defaultImage.clone();
        present.forEach((name, bytes) -> {
            RodataConstant c = layout.get(name);
            if (bytes.length != c.size()) {
                throw new EndpointException(prefix + "constant " + name + ": " + bytes.length + " bytes, the object's "
                        + c.type() + " has " + c.size(), true);
            }
            System.arraycopy(bytes, 0, image, c.offset(), bytes.length);
        });
        return image;
    }

    /**
     * Registers {@code endpoint}: its per-endpoint inner maps are opened from their pins, or created
     * and pinned where its tier-1 program will reuse them, and put in the maps of maps under its id;
     * then its {@value #CONFIG_MAP} entry is written under its interface's ifindex. From that write on,
     * tier 0 enforces the endpoint's policy on any hook it is attached to. Registering again updates
     * the entry (new constants, or the interface's new ifindex).
     *
     * @return the endpoint's pinned inner maps, by name
     */
    public synchronized Map<String, Path> register(Endpoint endpoint) {
        String prefix = endpoint.label() + ": tier 0: ";
        if (namespace != null && !namespace.equals(endpoint.namespace())) {
            throw new EndpointException(prefix + "its interface is in network namespace " + endpoint.namespace()
                    + ", the endpoints of this tier 0 are in " + namespace + " (tier 0 keys endpoints by ifindex,"
                    + " which is per namespace)", true);
        }
        byte[] value = configValue(endpoint);
        int ifindex = endpoint.namespace().call(() -> Interfaces.ifindex(endpoint.interfaceName()));
        if (ifindex == 0) {
            throw new EndpointException(prefix + "no interface " + endpoint.interfaceName() + " in network namespace "
                    + endpoint.namespace(), true);
        }
        Map<String, Path> pinsByName = new LinkedHashMap<>();
        byte[] idKey = u32(endpoint.id());
        try {
            for (Map.Entry<String, BpfMap> e : outerByInner.entrySet()) {
                Path pin = loader.pins().endpointMap(endpoint.id(), e.getKey());
                try (BpfMap inner = openOrCreate(e.getKey(), pin, prefix)) {
                    record(endpoint.id(), e.getKey(), inner);
                    e.getValue().updateInnerMap(idKey, inner);
                }
                pinsByName.put(e.getKey(), pin);
            }
            Integer previous = ifindexById.get(endpoint.id());
            configs.update(u32(ifindex), value);
            if (previous != null && previous != ifindex) {
                configs.delete(u32(previous));
            }
        } catch (RuntimeException e) {
            throw e instanceof EndpointException ? e : Errors.withContext(prefix, e);
        }
        ifindexById.put(endpoint.id(), ifindex);
        namespace = endpoint.namespace();
        return pinsByName;
    }

    /**
     * Records the layout of the endpoint's inner map {@code name} as this object defines it, unless a
     * record of this very map exists (the map's definition is the object's: {@link #openOrCreate}
     * checked it). So its layout is known when a later variant changes it and its entries must be
     * migrated field by field ({@link Specializer}), also for an endpoint that never ran tier 1.
     */
    private void record(int endpointId, String name, BpfMap inner) {
        LayoutRecords records = loader.specializer().records();
        if (records == null) {
            return;
        }
        LayoutRecords.Lookup current = records.read(endpointId, name);
        if (current.found() && current.recorded().mapId() == inner.id()) {
            return;
        }
        records.write(endpointId, name, inner.id(), bpf.map(name).layout());
    }

    /** The endpoint's pinned map if it exists (checked against the object's definition), else a new one, pinned. */
    private BpfMap openOrCreate(String name, Path pin, String prefix) {
        MapDefinition wanted = bpf.map(name).definition();
        if (Files.exists(pin)) {
            BpfMap existing = BpfMap.openPinned(pin);
            if (!existing.definition().equals(wanted)) {
                existing.close();
                throw new EndpointException(prefix + "map " + name + ": the map pinned at " + pin + " is "
                        + existing.definition() + ", tier 0 needs " + wanted
                        + " (remove the pin to recreate the map, losing its entries)", true);
            }
            return existing;
        }
        createDirectories(pin.getParent(), prefix);
        BpfMap made = BpfMap.create(name.length() > 15 ? name.substring(0, 15) : name, wanted);
        try {
            made.pin(pin);
        } catch (RuntimeException e) {
            made.close();
            throw e;
        }
        return made;
    }

    /**
     * Registers {@code endpoint} ({@link #register}) and attaches tier 0's programs at its hooks, with
     * link pins and a state file as {@link EndpointLoader#attach} makes them. {@code beforeAttach}
     * runs between the registration and the attach, with the endpoint's inner maps open (e.g. to
     * fill its policy map, so that tier 0 never runs with an empty one); a failure there, or in the
     * attach, removes the registration. The result moves to tier 1 with {@link EndpointLoader#swap}.
     */
    public AttachedEndpoint attach(Endpoint endpoint, java.util.function.Consumer<Map<String, BpfMap>> beforeAttach) {
        Objects.requireNonNull(beforeAttach, "beforeAttach");
        if (Files.exists(loader.stateFile(endpoint.id()))) {
            throw new EndpointException(endpoint.label() + ": already attached (state file "
                    + loader.stateFile(endpoint.id()) + "); detach it first", true);
        }
        List<Path> madeHere = new ArrayList<>();
        for (String name : outerByInner.keySet()) {
            Path pin = loader.pins().endpointMap(endpoint.id(), name);
            if (!Files.exists(pin)) {
                madeHere.add(pin);
            }
        }
        boolean wasRegistered = isRegistered(endpoint.id());
        Map<String, Path> mapPins = register(endpoint);
        try {
            Map<String, BpfMap> open = new LinkedHashMap<>();
            try {
                mapPins.forEach((name, pin) -> open.put(name, BpfMap.openPinned(pin)));
                beforeAttach.accept(open);
            } finally {
                open.values().forEach(BpfMap::close);
            }
            return loader.hooks().attachShared(object, endpoint, bpf::program, mapPins);
        } catch (RuntimeException e) {
            try {
                if (!wasRegistered) {
                    remove(endpoint.id());
                }
                for (Path pin : madeHere) {
                    Files.deleteIfExists(pin);
                }
            } catch (RuntimeException | IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /** {@link #attach(Endpoint, java.util.function.Consumer)} with nothing to do before the attach. */
    public AttachedEndpoint attach(Endpoint endpoint) {
        return attach(endpoint, maps -> { });
    }

    /** True if the endpoint has a config entry here. */
    public synchronized boolean isRegistered(int endpointId) {
        return ifindexById.containsKey(endpointId);
    }

    /** The ifindex the endpoint is registered under. */
    public synchronized Optional<Integer> ifindexOf(int endpointId) {
        return Optional.ofNullable(ifindexById.get(endpointId));
    }

    /**
     * Removes the endpoint from tier 0: its config entry first (from then on its interface's
     * packets are dropped as CONFIG_MISSING by tier 0), then its inner maps from the maps of maps.
     * Hooks, pins and the state file are {@link EndpointLoader#detach}'s. Nothing to remove is fine.
     */
    public synchronized void remove(int endpointId) {
        Integer ifindex = ifindexById.remove(endpointId);
        if (ifindex != null) {
            configs.delete(u32(ifindex));
        }
        for (BpfMap outer : outerByInner.values()) {
            outer.delete(u32(endpointId));
        }
    }

    /** Detaches the endpoint ({@link EndpointLoader#detach}) and removes it from tier 0. */
    public void detach(AttachedEndpoint attached) {
        try {
            loader.detach(attached);
        } finally {
            remove(attached.id());
        }
    }

    /**
     * Lets go of this process's handles. Endpoints still attached keep running tier 0 (their links
     * hold the programs) and stay registered; node maps keep their pins.
     */
    @Override
    public void close() {
        bpf.close();
    }

    @Override
    public String toString() {
        return "tier 0 of " + object + " " + programIds();
    }

    private static byte[] u32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(v).array();
    }

    private static void createDirectories(Path dir, String prefix) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new EndpointException(prefix + "create pin folder " + dir + ": " + e.getMessage()
                    + " (is bpffs mounted there?)", false, e);
        }
    }
}
