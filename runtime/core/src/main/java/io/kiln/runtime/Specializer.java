package io.kiln.runtime;

import io.kiln.bpf.BpfFs;
import io.kiln.bpf.BpfMap;
import io.kiln.bpf.BpfObject;
import io.kiln.runtime.internal.EndpointConstantCheck;
import io.kiln.runtime.internal.Errors;
import io.kiln.runtime.internal.LayoutRecords;
import io.kiln.runtime.internal.MapMigration;
import io.kiln.runtime.internal.MapsOfMapsMigration;
import io.kiln.runtime.internal.PinnedMaps;
import io.kiln.bpf.MapLayout;
import io.kiln.template.MapDecl;
import io.kiln.template.MapScope;
import io.kiln.template.ProgramDecl;
import io.kiln.template.TemplateDescriptor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Turns a template's object into an endpoint's loaded programs: opens the object, checks and sets
 * the endpoint's constants in {@code .rodata}, points the template's pinned maps at their pins
 * (per-endpoint maps under {@code endpoints/ID/}, node maps under {@code node/}; an existing pin
 * is reused after a compatibility check, else the map is created and pinned) and loads it.
 * Nothing is attached; the kernel's hooks are untouched whatever fails here.
 */
public final class Specializer {
    /** Two endpoints creating the same node map at once would race to pin it; one at a time in this process. */
    static final Object NODE_MAP_CREATION = new Object();

    /**
     * Suffix of the temporary pin of a migrated map, beside the old pin until the new programs run:
     * a map's name is a C identifier, so no map's own pin ends so (bpffs refuses names with a dot).
     */
    public static final String MIGRATING_SUFFIX = "-migrating";
    /** How long a load waits for another load's node-map migration to finish. */
    static final long NODE_MIGRATION_WAIT_SECONDS = 300;

    private final PinLayout pins;
    private final LayoutRecords records; // null: no layouts recorded, a changed pinned map is refused
    private volatile boolean bpffsChecked;

    /** A specializer that records no layouts: a pinned map is reused only when defined exactly as the object's. */
    public Specializer(PinLayout pins) {
        this(pins, null);
    }

    /**
     * A specializer that records each pinned map's layout under {@code layoutDir} and migrates a
     * pinned map whose layout changed (see {@link MapMigration}).
     */
    public Specializer(PinLayout pins, Path layoutDir) {
        this.pins = Objects.requireNonNull(pins, "pins");
        this.records = layoutDir == null ? null : new LayoutRecords(layoutDir);
    }

    /** Where pinned maps' layouts are recorded, if they are. */
    public Optional<Path> layoutDir() {
        return Optional.ofNullable(records).map(LayoutRecords::dir);
    }

    public PinLayout pins() {
        return pins;
    }

    /** The layout records, or null when this specializer records none. */
    LayoutRecords records() {
        return records;
    }

    /**
     * Loads {@code object} specialized for {@code endpoint}.
     *
     * @throws EndpointException                    a constant the template does not declare, of the wrong size, or
     *                                              not matching the object; a declared program or map the object lacks
     * @throws io.kiln.bpf.VerifierException       the kernel's verifier rejected a program (with its log)
     * @throws io.kiln.bpf.BpfException             any other libbpf or kernel failure, e.g. a pinned map whose
     *                                              definition differs from the object's (both named)
     */
    public SpecializedEndpoint specialize(TemplateObject object, Endpoint endpoint) {
        TemplateDescriptor t = object.template();
        String prefix = endpoint.label() + ": template " + t.name() + ": ";
        EndpointConstantCheck.declared(t, endpoint.constants(), prefix);
        checkMapNames(t, prefix);
        String objectName = objectName(t.name());
        long t0 = System.nanoTime();
        BpfObject bpf;
        try {
            bpf = BpfObject.open(object.bytesNoCopy(), objectName);
        } catch (RuntimeException e) {
            throw Errors.withContext(prefix, e);
        }
        try {
            for (ProgramDecl p : t.programs()) {
                bpf.program(p.name()); // fails naming the programs the object has
            }
            Map<String, byte[]> toSet = EndpointConstantCheck.againstObject(t, bpf, endpoint.constants(), prefix);
            toSet.forEach(bpf::setConstant);
            Map<String, Path> mapPins = new LinkedHashMap<>();
            PinnedMaps pinned = records == null ? null : new PinnedMaps(records, pins);
            long t1 = System.nanoTime();
            long t2;
            try {
                boolean createsNodeMap = preparePins(t, bpf, endpoint, mapPins, pinned, prefix);
                t2 = System.nanoTime();
                if (createsNodeMap) {
                    synchronized (NODE_MAP_CREATION) {
                        bpf.load();
                    }
                } else {
                    bpf.load();
                }
            } catch (RuntimeException e) {
                if (pinned != null) {
                    pinned.abandon();
                }
                throw e;
            }
            SpecializedEndpoint loaded = new SpecializedEndpoint(endpoint, object, bpf, mapPins, pinned);
            loaded.phase("open", t1 - t0);
            loaded.phase("maps", t2 - t1);
            loaded.phase("load", System.nanoTime() - t2);
            return loaded;
        } catch (RuntimeException e) {
            bpf.close();
            throw e instanceof EndpointException ? e : Errors.withContext(messagePrefix(e, prefix, objectName), e);
        }
    }

    /**
     * Points each pinned map of {@code bpf} at its pin: an existing pin whose recorded layout is the
     * object's (or, unrecorded, whose definition is) is reused; one whose layout changed is migrated
     * into a new map pinned beside it ({@link MapMigration}), which the object uses instead; a node
     * map of maps whose definition or inner-map definition changed is replaced the same way by a new
     * one holding the old one's fitting inner maps ({@link MapsOfMapsMigration}); a map
     * not pinned yet is created and pinned by the load. Returns true if the load creates a node map.
     */
    private boolean preparePins(TemplateDescriptor t, BpfObject bpf, Endpoint endpoint, Map<String, Path> mapPins,
                                PinnedMaps pinned, String prefix) {
        boolean createsNodeMap = false;
        if (pinned != null && (nodeMapsChange(t, bpf) || mapsOfMapsChange(t, bpf))) {
            try {
                // released by the commit or the abandon (close) of the load that holds it
                if (!PinnedMaps.NODE_MIGRATION.tryAcquire(NODE_MIGRATION_WAIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS)) {
                    throw new EndpointException(prefix + "a node map's layout changes, and another load has been"
                            + " migrating node maps for " + NODE_MIGRATION_WAIT_SECONDS + " s without finishing; try again"
                            + " (a load that is neither attached nor closed holds the migration)", false);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new EndpointException(prefix + "interrupted while waiting for another node map migration", false, e);
            }
            pinned.holdNodeLock();
        }
        for (MapDecl m : t.maps()) {
            BpfMap map = bpf.map(m.name());
            if (!m.pinned()) {
                continue;
            }
            boolean node = m.scope() == MapScope.NODE;
            Path pin = node ? pins.nodeMap(m.name()) : pins.endpointMap(endpoint.id(), m.name());
            createDirectories(pin.getParent(), prefix);
            mapPins.put(m.name(), pin);
            if (pinned == null) {
                map.setPinPath(pin);
                createsNodeMap |= node && !Files.exists(pin);
                continue;
            }
            Integer owner = node ? null : endpoint.id();
            MapLayout wanted = map.layout();
            pinned.record(m.name(), owner, pin, wanted);
            if (!Files.exists(pin)) {
                map.setPinPath(pin);
                createsNodeMap |= node;
                continue;
            }
            String label = (node ? "node map " : endpoint.label() + ": map ") + m.name();
            BpfMap old = BpfMap.openPinned(pin);
            boolean handedOver = false;
            try {
                java.util.Optional<io.kiln.bpf.MapDefinition> inner = node && old.isMapOfMaps()
                        ? map.innerDefinition() : java.util.Optional.empty();
                if (inner.isPresent() && replaceMapOfMaps(old, wanted.definition(), inner.get()).isPresent()) {
                    long t0 = System.nanoTime();
                    MapsOfMapsMigration replace = MapsOfMapsMigration.plan(label, old, wanted.definition(), inner.get());
                    Path temp = pin.resolveSibling(pin.getFileName() + MIGRATING_SUFFIX);
                    Files.deleteIfExists(temp); // left by a replacement cut short
                    BpfMap made = replace.create(kernelName(m.name()));
                    try {
                        MapsOfMapsMigration.Copied copied = replace.copy(old, made);
                        made.pin(temp);
                        map.reuse(made);
                        pinned.migrated(new PinnedMaps.Migrated(m.name(), null, pin, temp, made, old, null,
                                copied.carried(), copied.keys(), System.nanoTime() - t0, replace));
                        handedOver = true;
                    } finally {
                        if (!handedOver) {
                            made.close();
                            Files.deleteIfExists(temp);
                        }
                    }
                    continue;
                }
                if (inner.isPresent() && map.isMapOfMaps()) {
                    // it takes the object's inner maps and is defined as the object's: reused. Its recorded
                    // fields say nothing about that (tier 0's and tier 1's BTF of it may differ)
                    map.setPinPath(pin);
                    LayoutRecords.Lookup lookup = records.read(owner, m.name());
                    if (lookup.found() && lookup.recorded().mapId() == old.id() && lookup.recorded().layout().equals(wanted)) {
                        pinned.recordedAlready(old.id());
                    }
                    continue;
                }
                LayoutRecords.Lookup lookup = records.read(owner, m.name());
                MapLayout current = knownLayout(old, lookup, wanted, label, pin);
                if (current.equals(wanted)) {
                    map.setPinPath(pin); // libbpf reuses it after its own compatibility check
                    if (lookup.found() && lookup.recorded().mapId() == old.id() && lookup.recorded().layout().equals(wanted)) {
                        pinned.recordedAlready(old.id());
                    }
                    continue;
                }
                long t0 = System.nanoTime();
                MapMigration migration = MapMigration.plan(label, current, wanted);
                Path temp = pin.resolveSibling(pin.getFileName() + MIGRATING_SUFFIX);
                Files.deleteIfExists(temp); // left by a migration cut short
                BpfMap made = BpfMap.create(kernelName(m.name()), wanted.definition());
                try {
                    MapMigration.Copied copied = migration.copy(old, made);
                    if (node) {
                        // the record first: a process killed once the new programs run leaves what the next needs
                        // to finish the commit (RetiredNodeMaps.finishMigrations)
                        records.writeMigrating(m.name(), made.id(), old.id(), current, wanted);
                    }
                    made.pin(temp);
                    map.reuse(made);
                    pinned.migrated(new PinnedMaps.Migrated(m.name(), owner, pin, temp, made, old, migration,
                            copied.entries(), copied.keys(), System.nanoTime() - t0));
                    handedOver = true;
                } finally {
                    if (!handedOver) {
                        made.close();
                        Files.deleteIfExists(temp);
                        if (node) {
                            records.deleteMigrating(m.name());
                        }
                    }
                }
            } catch (java.io.IOException e) {
                throw new EndpointException(label + ": migrate: " + e.getMessage(), false, e);
            } finally {
                if (!handedOver) {
                    old.close();
                }
            }
        }
        return createsNodeMap;
    }

    /**
     * The layout of the map pinned as {@code old}: its record if the record is valid and describes
     * this very map; unrecorded (or a record of another map), the object's own layout when the
     * definitions are equal (the map was made by this layout or one of the same sizes); else refused.
     */
    private static MapLayout knownLayout(BpfMap old, LayoutRecords.Lookup lookup, MapLayout wanted, String label, Path pin) {
        io.kiln.bpf.MapDefinition def = old.definition();
        String problem = lookup.problem();
        if (lookup.found()) {
            LayoutRecords.Recorded r = lookup.recorded();
            if (r.mapId() == old.id() && r.layout().definition().equals(def)) {
                return r.layout();
            }
            problem = "the layout record describes map id " + r.mapId() + " (" + r.layout().definition()
                    + "), the pin holds map id " + old.id() + " (" + def + ")";
        }
        if (def.equals(wanted.definition())) {
            return wanted;
        }
        throw new EndpointException(label + ": the map pinned at " + pin + " is " + def + ", the object defines "
                + wanted.definition() + "; its layout is unknown (" + problem + "), so its entries cannot be migrated"
                + " field by field. The running programs are untouched; remove the pin to start the map empty", true);
    }

    /** True if a node map this object pins exists with a recorded layout other than the object's. */
    private boolean nodeMapsChange(TemplateDescriptor t, BpfObject bpf) {
        for (MapDecl m : t.maps()) {
            if (m.scope() != MapScope.NODE || !m.pinned() || !Files.exists(pins.nodeMap(m.name()))
                    || bpf.map(m.name()).innerDefinition().isPresent()) {
                continue; // a map of maps: mapsOfMapsChange
            }
            LayoutRecords.Lookup r = records.read(null, m.name());
            MapLayout wanted = bpf.map(m.name()).layout();
            if (!r.found() || !r.recorded().layout().equals(wanted)) {
                return true;
            }
        }
        return false;
    }

    /**
     * True if a node map of maps this object pins exists with another definition than the object's,
     * or takes no inner map of the object's inner definition: it is replaced by a new one
     * ({@link MapsOfMapsMigration}), under the node-migration lock like a migrated node map.
     */
    private boolean mapsOfMapsChange(TemplateDescriptor t, BpfObject bpf) {
        for (MapDecl m : t.maps()) {
            Path pin = pins.nodeMap(m.name());
            if (m.scope() != MapScope.NODE || !m.pinned() || !Files.exists(pin) || !bpf.map(m.name()).isMapOfMaps()) {
                continue;
            }
            java.util.Optional<io.kiln.bpf.MapDefinition> inner = bpf.map(m.name()).innerDefinition();
            if (inner.isEmpty()) {
                continue;
            }
            try (BpfMap old = BpfMap.openPinned(pin)) {
                if (old.isMapOfMaps() && replaceMapOfMaps(old, bpf.map(m.name()).definition(), inner.get()).isPresent()) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Why the pinned map of maps {@code old} must be replaced for an object defining it as {@code wanted} with inner maps {@code inner}; empty if it serves as it is. */
    private static java.util.Optional<String> replaceMapOfMaps(BpfMap old, io.kiln.bpf.MapDefinition wanted,
                                                               io.kiln.bpf.MapDefinition inner) {
        if (!old.definition().equals(wanted)) {
            return java.util.Optional.of("it is " + old.definition() + ", the object defines " + wanted);
        }
        return MapsOfMapsMigration.innerMismatch(old, inner);
    }

    private static String kernelName(String map) {
        String s = map.replaceAll("[^A-Za-z0-9_.]", "_");
        return s.length() > 15 ? s.substring(0, 15) : s;
    }

    /**
     * Makes sure the pin root is on a bpffs: under /sys/fs/bpf, bpffs is mounted there if it is not;
     * elsewhere a bpffs must already be mounted at the root or above it. Kiln never mounts over any
     * other folder: a mount would hide what that folder holds (a mistyped --pin-root of /etc...).
     */
    public void ensureBpffs() {
        if (bpffsChecked) {
            return; // once per specializer: nobody unmounts bpffs under a running agent
        }
        Path root = pins.root();
        if (root.startsWith(BpfFs.DEFAULT)) {
            BpfFs.ensureMounted(BpfFs.DEFAULT);
        } else if (!BpfFs.isOnBpffs(root)) {
            throw new EndpointException("pin root " + root + " is not on a bpffs and not under " + BpfFs.DEFAULT
                    + ": choose a root under " + BpfFs.DEFAULT + ", or mount one there first (mount -t bpf bpf "
                    + root + "); Kiln does not mount over other folders", true);
        }
        bpffsChecked = true;
    }

    /** libbpf's messages start with "object NAME": then "template NAME" in front of it says nothing new. */
    private static String messagePrefix(RuntimeException e, String prefix, String objectName) {
        String m = String.valueOf(e.getMessage());
        return m.startsWith("object " + objectName + ":") ? prefix.substring(0, prefix.indexOf(": ") + 2) : prefix;
    }

    private static void checkMapNames(TemplateDescriptor t, String prefix) {
        for (MapDecl m : t.maps()) {
            if (m.scope() == MapScope.ENDPOINT && m.pinned() && m.name().equals(PinLayout.LINKS)) {
                throw new EndpointException(prefix + "map " + m.name() + ": the name is taken by the endpoint's "
                        + PinLayout.LINKS + "/ folder of pins; rename the map", true);
            }
        }
    }

    /** The template's name as libbpf accepts an object name (it prefixes the object's internal maps). */
    static String objectName(String template) {
        String s = template.replaceAll("[^A-Za-z0-9_.-]", "_");
        return s.isEmpty() ? "kiln" : s.length() > 64 ? s.substring(0, 64) : s;
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
