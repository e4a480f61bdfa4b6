package io.kiln.runtime.internal;

import io.kiln.bpf.BpfMap;
import io.kiln.bpf.MapLayout;
import io.kiln.runtime.EndpointException;
import io.kiln.runtime.PinLayout;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;

/**
 * The pinned maps of one specialized object, between load and the moment its programs run: the
 * layout of each (recorded once the programs are on their hooks) and the maps migrated into new
 * maps, pinned at a temporary name beside the old pin. {@link #commit} moves each new map over
 * its old pin (a rename in bpffs: atomic, the pin never missing) and adds the entries the old
 * programs made meanwhile; {@link #abandon} removes the new maps and leaves the old pins as they
 * were.
 */
public final class PinnedMaps {
    /** One node-map migration at a time in this process: two endpoints must not migrate one map twice. */
    public static final Semaphore NODE_MIGRATION = new Semaphore(1);

    /**
     * A map whose layout is recorded after the commit; {@code recordedAsId} is the map id its
     * current record names when that record already says this layout (0: write it).
     */
    public record Recorded(String name, Integer endpointId, Path pin, MapLayout layout, int recordedAsId) {
    }

    /**
     * A migrated map: the new one (this process's handle), the old one (to catch up from), the temp pin.
     * A replaced node map of maps has {@code ofMaps} instead of {@code migration} (null): it is caught up
     * once at the commit and not kept for later ones (its old map serves the old tier 0, whose
     * programs hold it; no program writes a map of maps).
     */
    public record Migrated(String name, Integer endpointId, Path pin, Path tempPin, BpfMap newMap, BpfMap oldMap,
                           MapMigration migration, int copied, java.util.Set<java.nio.ByteBuffer> copiedKeys, long nanos,
                           MapsOfMapsMigration ofMaps) {
        public Migrated(String name, Integer endpointId, Path pin, Path tempPin, BpfMap newMap, BpfMap oldMap,
                        MapMigration migration, int copied, java.util.Set<java.nio.ByteBuffer> copiedKeys, long nanos) {
            this(name, endpointId, pin, tempPin, newMap, oldMap, migration, copied, copiedKeys, nanos, null);
        }
    }

    private final LayoutRecords records;
    private final PinLayout pins;
    private final List<Recorded> recorded = new ArrayList<>();
    private final List<Migrated> migrated = new ArrayList<>();
    private boolean holdsNodeLock;
    private boolean done;

    public PinnedMaps(LayoutRecords records, PinLayout pins) {
        this.records = records;
        this.pins = pins;
    }

    public LayoutRecords records() {
        return records;
    }

    public void holdNodeLock() {
        holdsNodeLock = true;
    }

    public void record(String name, Integer endpointId, Path pin, MapLayout layout) {
        recorded.add(new Recorded(name, endpointId, pin, layout, 0));
    }

    /** The last map {@link #record}ed already has a record of its layout, naming map id {@code mapId}. */
    public void recordedAlready(int mapId) {
        Recorded r = recorded.remove(recorded.size() - 1);
        recorded.add(new Recorded(r.name(), r.endpointId(), r.pin(), r.layout(), mapId));
    }

    public void migrated(Migrated m) {
        migrated.add(m);
    }

    public List<Migrated> migrations() {
        return List.copyOf(migrated);
    }

    /**
     * The new programs run: each migrated map replaces its old pin, takes what the old programs
     * added meanwhile, and every pinned map's layout is recorded with the id of the map now pinned.
     * A migrated node map's old map is kept while programs on other endpoints' hooks still use it
     * ({@code hooked}: the ids of the programs on every other endpoint's hooks): what those old
     * programs add to it is caught up again at each later commit of an object that uses the pin,
     * and once no hooked program uses the old map, a last time before it is let go. Such an old map
     * is pinned under the retired folder, with its record, before its new map is renamed over the
     * pin, so that a process killed at any point leaves it to the next ({@link RetiredNodeMaps}).
     */
    public synchronized void commit(java.util.function.Function<String, BpfMap> objectMaps,
                                    java.util.function.Supplier<java.util.Collection<Integer>> hooked,
                                    java.util.function.ObjLongConsumer<String> phase) {
        if (done || records == null) {
            release();
            return;
        }
        List<Migrated> keptOpen = new ArrayList<>();
        List<RetiredNodeMaps.Handed> handed = new ArrayList<>();
        try {
            List<String> failures = new ArrayList<>();
            for (Migrated m : migrated) {
                // a node map of maps is not kept: it holds other maps, not entries old programs add to
                boolean node = m.endpointId() == null && m.ofMaps() == null;
                Path retiredPin = null;
                if (node) {
                    long p0 = System.nanoTime();
                    try {
                        // before the rename: from here on a process killed at any point leaves the old map findable
                        retiredPin = RetiredNodeMaps.pinRetired(pins, records, m.name(), m.oldMap(), m.migration());
                    } catch (RuntimeException e) {
                        failures.add(e.getMessage());
                    }
                    phase.accept("retired", System.nanoTime() - p0);
                }
                long t0 = System.nanoTime();
                try {
                    move(m.tempPin(), m.pin());
                } catch (RuntimeException e) {
                    failures.add(e.getMessage());
                    if (retiredPin != null) {
                        RetiredNodeMaps.unpinRetired(retiredPin, records); // the old map keeps the live pin
                    }
                    continue;
                }
                long t1 = System.nanoTime();
                phase.accept("rename", t1 - t0);
                if (node) {
                    keptOpen.add(m); // other endpoints' old programs may still write it
                    handed.add(new RetiredNodeMaps.Handed(m.pin(), m.oldMap(), m.migration(), retiredPin));
                }
                try {
                    if (m.ofMaps() != null) {
                        m.ofMaps().catchUpSince(m.oldMap(), m.newMap(), m.copiedKeys());
                    } else {
                        m.migration().catchUpSince(m.oldMap(), m.newMap(), m.copiedKeys());
                    }
                } catch (RuntimeException e) {
                    failures.add(e.getMessage());
                }
                phase.accept("catchup", System.nanoTime() - t1);
            }
            long t2 = System.nanoTime();
            for (Recorded r : recorded) {
                try {
                    int id = objectMaps.apply(r.name()).id();
                    if (id == r.recordedAsId()) {
                        continue; // the record on disk says this already: a swap need not rewrite it
                    }
                    records.write(r.endpointId(), r.name(), id, r.layout());
                } catch (RuntimeException e) {
                    failures.add(e.getMessage());
                }
            }
            for (Migrated m : migrated) {
                if (m.endpointId() == null && m.ofMaps() == null && !Files.exists(m.tempPin())) {
                    try {
                        records.deleteMigrating(m.name()); // after the node record: the commit is done
                    } catch (RuntimeException e) {
                        failures.add(e.getMessage());
                    }
                }
            }
            long t3 = System.nanoTime();
            phase.accept("records", t3 - t2);
            try {
                RetiredNodeMaps.commit(pins, records, handed, recorded.stream().filter(r -> r.endpointId() == null)
                        .map(r -> new RetiredNodeMaps.Used(r.pin(), r.layout(), objectMaps.apply(r.name()))).toList(),
                        hooked);
            } catch (RuntimeException e) {
                failures.add("catch up retired node maps: " + e.getMessage());
            }
            phase.accept("retired", System.nanoTime() - t3);
            if (!failures.isEmpty()) {
                throw new EndpointException("the new programs run, but " + String.join("; ", failures), false);
            }
        } finally {
            done = true;
            for (Migrated m : migrated) {
                forgetKeys(m);
                m.newMap().close();
                if (!keptOpen.contains(m)) {
                    m.oldMap().close();
                }
            }
            release();
        }
    }

    /** Nothing was swapped: the temporary pins and new maps go, the old pins stay as they were. */
    public synchronized void abandon() {
        if (done) {
            return;
        }
        done = true;
        for (Migrated m : migrated) {
            try {
                Files.deleteIfExists(m.tempPin());
                if (records != null && m.endpointId() == null && m.ofMaps() == null) {
                    records.deleteMigrating(m.name());
                }
            } catch (IOException | RuntimeException ignored) {
                // a stray temp pin is removed by the next migration of the map, or by uninstall; a stray record
                // without its pin by the next adopt
            }
        }
        closeHandles();
        release();
    }

    /** The copy's key set is needed until the commit's catch-up only; the endpoint keeps this object longer. */
    private static void forgetKeys(Migrated m) {
        if (!m.copiedKeys().isEmpty()) {
            m.copiedKeys().clear();
        }
    }

    private void closeHandles() {
        for (Migrated m : migrated) {
            forgetKeys(m);
            m.newMap().close();
            m.oldMap().close();
        }
    }

    private void release() {
        if (holdsNodeLock) {
            holdsNodeLock = false;
            NODE_MIGRATION.release();
        }
    }

    /** Renames a migrated map's pin over its live pin (atomically where the file system can). */
    static void move(Path from, Path to) {
        try {
            try {
                Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new EndpointException("rename the migrated map's pin " + from + " to " + to + ": " + e, false, e);
        }
    }
}
