package io.kiln.runtime.internal;

import io.kiln.bpf.BpfMap;
import io.kiln.bpf.BpfProgram;
import io.kiln.bpf.MapLayout;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Node maps replaced by a migration while other endpoints' old programs still write them. A node
 * map is migrated by the first endpoint whose new programs need the new layout; the others are
 * swapped one by one after it, and until each is, its old programs add entries (new connections)
 * to the old map only. So the old map is kept open here, and every later commit of an object that
 * uses the pin copies over what the old map has and the new one lacks (the migration's own
 * catch-up: converted field by field, never overwriting). Once no program on any endpoint's hook
 * uses the old map, it is caught up a last time and let go.
 *
 * <p>Within one process: an agent restarted in the middle forgets the old maps, and entries the
 * not yet swapped endpoints make in them after the restart are not carried over.
 */
public final class RetiredNodeMaps {
    /** A node map an object uses now: its pin, the layout the object needs, the object's handle. */
    public record Used(Path pin, MapLayout layout, BpfMap map) {
    }

    private record Retired(Path pin, BpfMap oldMap, MapMigration migration) {
    }

    private static final int ENOENT = 2;
    private static final List<Retired> RETIRED = new ArrayList<>(); // guarded by itself

    private RetiredNodeMaps() {
    }

    /** How many old node maps are kept for a catch-up now (for tests). */
    public static int count() {
        synchronized (RETIRED) {
            return RETIRED.size();
        }
    }

    /** Lets go of the old node maps kept for pins under {@code root}, without a catch-up (everything there is removed). */
    public static void releaseUnder(Path root) {
        synchronized (RETIRED) {
            for (Iterator<Retired> it = RETIRED.iterator(); it.hasNext(); ) {
                Retired r = it.next();
                if (r.pin().startsWith(root)) {
                    r.oldMap().close();
                    it.remove();
                }
            }
        }
    }

    /**
     * After the programs of one endpoint went on their hooks: takes over the old maps of the node
     * maps this commit migrated ({@code migrated}, their handles now owned here), catches every
     * kept old map of a pin in {@code used} up into the map now there (when its layout is the one the
     * migration made), and lets go of each old map that no program in {@code hooked} uses.
     */
    static void commit(List<PinnedMaps.Migrated> migrated, List<Used> used, Supplier<Collection<Integer>> hooked) {
        synchronized (RETIRED) {
            int before = RETIRED.size();
            for (PinnedMaps.Migrated m : migrated) {
                RETIRED.add(new Retired(m.pin(), m.oldMap(), m.migration()));
            }
            if (RETIRED.isEmpty()) {
                return;
            }
            List<String> failures = new ArrayList<>();
            // this commit's own were caught up by it just now
            Set<Retired> current = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            current.addAll(RETIRED.subList(before, RETIRED.size()));
            for (Retired r : RETIRED.subList(0, before)) {
                for (Used u : used) {
                    if (u.pin().equals(r.pin()) && u.layout().equals(r.migration().to())) {
                        current.add(r);
                        try {
                            r.migration().catchUp(r.oldMap(), u.map());
                        } catch (RuntimeException e) {
                            failures.add(r.migration() + ": " + e.getMessage());
                        }
                    }
                }
            }
            Set<Integer> inUse = mapsInUse(hooked.get());
            for (Iterator<Retired> it = RETIRED.iterator(); it.hasNext(); ) {
                Retired r = it.next();
                if (inUse.contains(r.oldMap().id())) {
                    continue;
                }
                try {
                    if (!current.contains(r)) {
                        lastCatchUp(r);
                    }
                } catch (RuntimeException e) {
                    failures.add(r.migration() + ": " + e.getMessage());
                } finally {
                    r.oldMap().close();
                    it.remove();
                }
            }
            if (!failures.isEmpty()) {
                throw new IllegalStateException(String.join("; ", failures));
            }
        }
    }

    /** No old program writes the map any more: what it still has goes to the map at the pin, if that is the migration's. */
    private static void lastCatchUp(Retired r) {
        if (!java.nio.file.Files.exists(r.pin())) {
            return;
        }
        try (BpfMap now = BpfMap.openPinned(r.pin())) {
            if (now.id() != r.oldMap().id() && now.definition().equals(r.migration().to().definition())) {
                r.migration().catchUp(r.oldMap(), now);
            }
        }
    }

    /**
     * The ids of the maps the given programs use. A program that cannot be read (gone meanwhile)
     * uses nothing; one that fails otherwise counts as using everything kept, so nothing is let go.
     */
    private static Set<Integer> mapsInUse(Collection<Integer> programIds) {
        Set<Integer> ids = new HashSet<>();
        for (int programId : new HashSet<>(programIds)) {
            if (programId == 0) {
                continue;
            }
            try (BpfProgram p = BpfProgram.fromId(programId)) {
                for (int id : p.mapIds()) {
                    ids.add(id);
                }
            } catch (io.kiln.bpf.BpfException e) {
                if (e.errno() != ENOENT) {
                    RETIRED.forEach(r -> ids.add(r.oldMap().id()));
                }
            } catch (RuntimeException e) {
                RETIRED.forEach(r -> ids.add(r.oldMap().id()));
            }
        }
        return ids;
    }
}
