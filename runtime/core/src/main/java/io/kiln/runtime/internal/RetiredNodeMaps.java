package io.kiln.runtime.internal;

import io.kiln.bpf.BpfMap;
import io.kiln.bpf.BpfProgram;
import io.kiln.bpf.MapLayout;
import io.kiln.runtime.EndpointException;
import io.kiln.runtime.PinLayout;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Node maps replaced by a migration while other endpoints' old programs still write them. A node
 * map is migrated by the first endpoint whose new programs need the new layout; the others are
 * swapped one by one after it, and until each is, its old programs add entries (new connections)
 * to the old map only. So the old map is kept here, and every later commit of an object that uses
 * the pin copies over what the old map has and the new one lacks (the migration's own catch-up:
 * converted field by field, never overwriting). Once no program on any endpoint's hook uses the old
 * map, it is caught up a last time and let go.
 *
 * <p>Across a restart or a SIGKILL of the agent: before the new map takes over the live pin, the
 * old map is pinned at {@code ROOT/retired/MAP-ID} (ID its kernel id) with a layout record
 * ({@link LayoutRecords#writeRetired}: its layout and the one migrated to), so that no moment of
 * the swap leaves it known to this process only. A new process re-opens these at {@link #adopt}
 * (or at its first commit, whichever comes first: then what it refuses is said by the next
 * {@link #adopt}, never by failing the swap) and goes on as this one would have; a retired
 * map is unpinned, and its record removed, when it is let go. What it reads back is untrusted: a
 * name that is not {@code MAP-ID}, a link, a folder, a pin that is not a map, a map of another id
 * or definition than its record says, a bad or missing record, more than {@value #MAX_RETIRED}
 * entries: each is refused with a message naming the file, and left as it is (never opened as a
 * retired map, never unpinned).
 */
public final class RetiredNodeMaps {
    /** A node map an object uses now: its pin, the layout the object needs, the object's handle. */
    public record Used(Path pin, MapLayout layout, BpfMap map) {
    }

    /** An old node map a commit hands over: its pin (now the new map's), the migration, its retired pin (null: none). */
    public record Handed(Path pin, BpfMap oldMap, MapMigration migration, Path retiredPin) {
    }

    private record Retired(Path pin, BpfMap oldMap, MapMigration migration, Path retiredPin, LayoutRecords records) {
    }

    /** At most this many retired maps are adopted from one folder (a node has a handful of node maps). */
    static final int MAX_RETIRED = 64;
    private static final Pattern NAME = Pattern.compile("([A-Za-z_][A-Za-z0-9_]{0,63})-([1-9][0-9]{0,9})");
    private static final int ENOENT = 2;
    private static final int UNKNOWN = -1; // in mapsInUse's answer: a program could not be read (no map has this id)
    private static final List<Retired> RETIRED = new ArrayList<>(); // guarded by itself
    private static final Set<Path> ADOPTED = new HashSet<>(); // retired folders read in this process; guarded by RETIRED
    private static final java.util.Map<Path, List<String>> PENDING = new java.util.HashMap<>(); // refusals a commit found
    // pinned by a commit of this process that has not handed them over yet: not an earlier process's; guarded by RETIRED
    private static final Set<Path> IN_FLIGHT = new HashSet<>();

    private RetiredNodeMaps() {
    }

    /** The name of the retired pin of node map {@code map} whose old map has kernel id {@code mapId}. */
    public static String pinName(String map, int mapId) {
        return map + "-" + mapId;
    }

    /** How many old node maps are kept for a catch-up now (for tests). */
    public static int count() {
        synchronized (RETIRED) {
            return RETIRED.size();
        }
    }

    /**
     * Lets go of the old node maps kept for pins under {@code root}, without a catch-up (everything
     * there is removed: their pins and records go with the rest).
     */
    public static void releaseUnder(Path root) {
        synchronized (RETIRED) {
            for (Iterator<Retired> it = RETIRED.iterator(); it.hasNext(); ) {
                Retired r = it.next();
                if (r.pin().startsWith(root)) {
                    r.oldMap().close();
                    it.remove();
                }
            }
            ADOPTED.removeIf(dir -> dir.startsWith(root));
            PENDING.keySet().removeIf(dir -> dir.startsWith(root));
        }
    }

    /**
     * Before a migrated node map's new map takes over its pin: records the old map's layouts and
     * pins it at {@code pins.retiredDir()/MAP-ID}, in that order (a pin is never without its
     * record; a record without its pin is removed at the next {@link #adopt}). Returns the pin.
     *
     * @throws EndpointException the record or the pin could not be made (neither is left)
     */
    static Path pinRetired(PinLayout pins, LayoutRecords records, String map, BpfMap oldMap, MapMigration migration) {
        String name = pinName(map, oldMap.id());
        Path pin = pins.retiredDir().resolve(name);
        synchronized (RETIRED) {
            IN_FLIGHT.add(pin);
        }
        try {
            records.writeRetired(name, oldMap.id(), migration.from(), migration.to());
        } catch (RuntimeException e) {
            landed(pin);
            throw e;
        }
        try {
            Files.createDirectories(pins.retiredDir());
            oldMap.pin(pin);
        } catch (IOException | RuntimeException e) {
            if (!isPinOf(pin, oldMap.id())) {
                landed(pin);
                try {
                    records.deleteRetired(name);
                } catch (RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
                throw new EndpointException("node map " + map + ": pin the old map at " + pin + " for a later catch-up: "
                        + e.getMessage() + "; it is kept by this process only", false, e);
            }
        }
        return pin;
    }

    /** The new map did not take the pin after all (the rename failed): the old map is the live one, not retired. */
    static void unpinRetired(Path retiredPin, LayoutRecords records) {
        landed(retiredPin);
        try {
            Files.deleteIfExists(retiredPin);
        } catch (IOException ignored) {
            // the next adopt finds the live map's id at it and removes it
        }
        records.deleteRetired(retiredPin.getFileName().toString());
    }

    private static void landed(Path retiredPin) {
        synchronized (RETIRED) {
            IN_FLIGHT.remove(retiredPin);
        }
    }

    /**
     * Takes over the old node maps an earlier process kept under {@code pins.retiredDir()} (what
     * this process keeps already is skipped), then lets go of each that no program in {@code hooked}
     * uses, after a last catch-up. Returns what was refused or failed, one message each, naming the
     * file (with what a commit's own reading found before, if it came first); empty when all went well.
     */
    public static List<String> adopt(PinLayout pins, LayoutRecords records, Supplier<Collection<Integer>> hooked) {
        synchronized (RETIRED) {
            List<String> problems = new ArrayList<>();
            List<String> pending = PENDING.remove(pins.retiredDir());
            if (pending != null) {
                problems.addAll(pending);
            }
            ADOPTED.add(pins.retiredDir());
            finishMigrations(pins, records, hooked, problems);
            problems.addAll(read(pins, records));
            releaseUnused(pins, Set.of(), hooked, problems);
            return problems.stream().distinct().toList();
        }
    }

    /**
     * After the programs of one endpoint went on their hooks: takes over the old maps of the node
     * maps this commit migrated ({@code migrated}, their handles now owned here), catches every
     * kept old map of a pin in {@code used} up into the map now there (when its layout is the one the
     * migration made), and lets go of each old map that no program in {@code hooked} uses. First
     * adopts what an earlier process kept, if nobody did yet ({@link #adopt}).
     */
    static void commit(PinLayout pins, LayoutRecords records, List<Handed> migrated, List<Used> used,
                       Supplier<Collection<Integer>> hooked) {
        synchronized (RETIRED) {
            if (ADOPTED.add(pins.retiredDir())) {
                // nobody adopted yet: what an earlier process kept is read now; what it refuses waits for adopt()
                // (a hostile leftover must not fail a swap)
                List<String> refused = read(pins, records);
                if (!refused.isEmpty()) {
                    PENDING.put(pins.retiredDir(), refused);
                }
            }
            List<String> failures = new ArrayList<>();
            int before = RETIRED.size();
            for (Handed h : migrated) {
                RETIRED.add(new Retired(h.pin(), h.oldMap(), h.migration(), h.retiredPin(), records));
                IN_FLIGHT.remove(h.retiredPin());
            }
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
            releaseUnused(pins, current, hooked, failures);
            if (!failures.isEmpty()) {
                throw new IllegalStateException(String.join("; ", failures));
            }
        }
    }

    /** Lets go of each old map of this pin layout's node maps that no program in {@code hooked} uses, after a last catch-up unless in {@code current}. */
    private static void releaseUnused(PinLayout pins, Set<Retired> current, Supplier<Collection<Integer>> hooked,
                                      List<String> failures) {
        if (RETIRED.stream().noneMatch(r -> ours(pins, r))) {
            return;
        }
        Set<Integer> inUse = mapsInUse(hooked.get());
        for (Iterator<Retired> it = RETIRED.iterator(); it.hasNext(); ) {
            Retired r = it.next();
            if (!ours(pins, r) || inUse.contains(r.oldMap().id())) {
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
                if (r.retiredPin() != null) {
                    try {
                        Files.deleteIfExists(r.retiredPin()); // the pin first: a record without its pin is stale
                        r.records().deleteRetired(r.retiredPin().getFileName().toString());
                    } catch (IOException | RuntimeException e) {
                        failures.add(r.migration() + ": remove its retired pin " + r.retiredPin() + ": " + e.getMessage());
                    }
                }
            }
        }
    }

    /** Retired maps are kept per pin layout: a loader's hooked programs say nothing about another root's maps. */
    private static boolean ours(PinLayout pins, Retired r) {
        return pins.nodeDir().equals(r.pin().getParent());
    }

    /** No old program writes the map any more: what it still has goes to the map at the pin, if that is the migration's. */
    private static void lastCatchUp(Retired r) {
        if (!Files.exists(r.pin())) {
            return;
        }
        try (BpfMap now = BpfMap.openPinned(r.pin())) {
            if (now.id() != r.oldMap().id() && now.definition().equals(r.migration().to().definition())) {
                r.migration().catchUp(r.oldMap(), now);
            }
        }
    }

    /** Re-opens what {@code pins.retiredDir()} holds, but what this process keeps or is handing over; problems as messages. */
    private static List<String> read(PinLayout pins, LayoutRecords records) {
        List<String> problems = new ArrayList<>();
        Path dir = pins.retiredDir();
        Set<String> names = new HashSet<>();
        if (Files.isSymbolicLink(dir) || Files.exists(dir, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            problems.add("retired node maps: " + dir + " is not a folder (a link or a file); nothing in it adopted,"
                    + " left as it is");
            return problems;
        }
        if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            int seen = 0;
            try (DirectoryStream<Path> list = Files.newDirectoryStream(dir)) {
                for (Path p : list) {
                    if (++seen > MAX_RETIRED) {
                        problems.add("retired node maps: " + dir + " holds more than " + MAX_RETIRED + " entries (Kiln keeps"
                                + " one per migrated node map while endpoints still run their old programs); the first "
                                + MAX_RETIRED + " were looked at, the rest are not adopted and left as they are");
                        break;
                    }
                    String name = p.getFileName().toString();
                    names.add(name);
                    if (IN_FLIGHT.contains(p)) {
                        continue;
                    }
                    String problem = adoptOne(pins, records, p, name);
                    if (problem != null) {
                        problems.add("retired node map " + p + ": " + problem + "; not adopted, left as it is");
                    }
                }
            } catch (IOException | java.nio.file.DirectoryIteratorException e) {
                problems.add("retired node maps: list " + dir + ": " + e.getMessage());
            }
        }
        removeStaleRecords(records, dir, names, problems);
        return problems;
    }

    /** One entry of the retired folder: adopted (null) or why not. */
    private static String adoptOne(PinLayout pins, LayoutRecords records, Path p, String name) {
        Matcher m = NAME.matcher(name);
        if (!m.matches()) {
            return "not a retired node map's name (MAP-ID: the map's name, its kernel id)";
        }
        if (Files.isSymbolicLink(p)) {
            return "a symbolic link, not a pin";
        }
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            return "not a pin (a folder?)";
        }
        for (Retired r : RETIRED) {
            if (p.equals(r.retiredPin())) {
                return null; // this process keeps it already
            }
        }
        String map = m.group(1);
        long nameId = Long.parseLong(m.group(2));
        LayoutRecords.RetiredLookup lookup = records.readRetired(name);
        if (!lookup.found()) {
            return lookup.problem();
        }
        LayoutRecords.RetiredRecord rec = lookup.recorded();
        BpfMap old;
        try {
            old = BpfMap.openPinned(p);
        } catch (RuntimeException e) {
            String why = String.valueOf(e.getMessage());
            int at = why.indexOf(p + ": ");
            return "not a BPF map: " + (at < 0 ? why : why.substring(at + p.toString().length() + 2));
        }
        boolean kept = false;
        try {
            if (old.id() != nameId || old.id() != rec.mapId()) {
                return "it holds map id " + old.id() + ", its name says " + nameId + " and its record "
                        + records.retiredPath(name) + " says " + rec.mapId();
            }
            if (!old.definition().equals(rec.from().definition())) {
                return "it holds a map of " + old.definition() + ", its record " + records.retiredPath(name) + " says "
                        + rec.from().definition();
            }
            Path live = pins.nodeMap(map);
            if (isPinOf(live, old.id())) {
                // the process stopped between pinning it here and the rename: the migration did not take the pin
                unpinRetired(p, records);
                return null;
            }
            MapMigration migration;
            try {
                migration = MapMigration.plan("node map " + map, rec.from(), rec.to());
            } catch (RuntimeException e) {
                return "its record " + records.retiredPath(name) + " names a migration Kiln cannot make (" + e.getMessage() + ")";
            }
            RETIRED.add(new Retired(live, old, migration, p, records));
            kept = true;
            return null;
        } finally {
            if (!kept) {
                old.close();
            }
        }
    }

    /**
     * Node maps an earlier process was migrating when it stopped, pinned as {@code MAP-migrating}. One
     * that a program on a hook uses (the migrating endpoint's hooks had changed, its commit had not
     * run) is the committed map in all but name: the commit is finished as {@link PinnedMaps#commit}
     * would have (the old map pinned as retired with its record, the new map renamed over the live
     * pin, the entries the old programs made caught up, the new layout recorded); the retired map is
     * then adopted like any other. One that no program on a hook uses is removed with its record.
     * Skipped while a load of this process migrates node maps (the pin is its own). What is read is
     * untrusted: a pin that is not a map, a map or a live map of another id or definition than the
     * record says, a missing or bad record: refused with a message naming the file, left as it is.
     */
    private static void finishMigrations(PinLayout pins, LayoutRecords records, Supplier<Collection<Integer>> hooked,
                                         List<String> problems) {
        Path dir = pins.nodeDir();
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            removeStaleMigratingRecords(records, dir, problems);
            return;
        }
        if (!PinnedMaps.NODE_MIGRATION.tryAcquire()) {
            return; // a load of this process is migrating: any MAP-migrating pin is its own
        }
        try {
            List<Path> found = new ArrayList<>();
            try (DirectoryStream<Path> list = Files.newDirectoryStream(dir, "*" + MIGRATING_SUFFIX)) {
                for (Path p : list) {
                    if (found.size() == MAX_RETIRED) {
                        problems.add("migrating node maps: " + dir + " holds more than " + MAX_RETIRED + " pins named *"
                                + MIGRATING_SUFFIX + "; the rest are left as they are");
                        break;
                    }
                    found.add(p);
                }
            } catch (IOException | java.nio.file.DirectoryIteratorException e) {
                problems.add("migrating node maps: list " + dir + ": " + e.getMessage());
                return;
            }
            Set<Integer> inUse = found.isEmpty() ? Set.of() : mapsInUse(hooked.get());
            for (Path p : found) {
                String problem = finishOne(pins, records, p, inUse);
                if (problem != null) {
                    problems.add("migrating node map " + p + ": " + problem + "; not finished, left as it is");
                }
            }
            removeStaleMigratingRecords(records, dir, problems);
        } finally {
            PinnedMaps.NODE_MIGRATION.release();
        }
    }

    private static final String MIGRATING_SUFFIX = io.kiln.runtime.Specializer.MIGRATING_SUFFIX;

    /** One {@code MAP-migrating} pin: finished or removed (null), or why not. */
    private static String finishOne(PinLayout pins, LayoutRecords records, Path p, Set<Integer> inUse) {
        String file = p.getFileName().toString();
        String map = file.substring(0, file.length() - MIGRATING_SUFFIX.length());
        if (!NAME_ONLY.matcher(map).matches()) {
            return "not a migrating node map's name (MAP" + MIGRATING_SUFFIX + ", MAP a C identifier)";
        }
        if (Files.isSymbolicLink(p)) {
            return "a symbolic link, not a pin";
        }
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            return "not a pin (a folder?)";
        }
        BpfMap next;
        try {
            next = BpfMap.openPinned(p);
        } catch (RuntimeException e) {
            String why = String.valueOf(e.getMessage());
            int at = why.indexOf(p + ": ");
            return "not a BPF map: " + (at < 0 ? why : why.substring(at + p.toString().length() + 2));
        }
        try (next) {
            if (next.isMapOfMaps()) {
                return null; // a replaced map of maps: not migrated entry by entry; the next replacement removes it
            }
            if (!inUse.contains(next.id()) && inUse.contains(UNKNOWN)) {
                return "a program on a hook could not be read, so whether one uses it (map id " + next.id()
                        + ") is not known";
            }
            if (!inUse.contains(next.id())) {
                // its programs never ran (stopped before the hook change): the migration is void
                Files.deleteIfExists(p); // the pin first: a record without its pin is stale
                records.deleteMigrating(map);
                return null;
            }
            Path recordFile = records.migratingPath(map);
            LayoutRecords.MigratingLookup lookup = records.readMigrating(map);
            if (!lookup.found()) {
                return "programs on a hook use it (map id " + next.id() + "), but " + lookup.problem();
            }
            LayoutRecords.MigratingRecord rec = lookup.recorded();
            if (next.id() != rec.mapId() || !next.definition().equals(rec.to().definition())) {
                return "it holds map id " + next.id() + " (" + next.definition() + "), its record " + recordFile
                        + " says map id " + rec.mapId() + " (" + rec.to().definition() + ")";
            }
            Path live = pins.nodeMap(map);
            if (Files.isSymbolicLink(live) || !Files.isRegularFile(live, LinkOption.NOFOLLOW_LINKS)) {
                return "the live pin " + live + " is missing or not a pin";
            }
            BpfMap old;
            try {
                old = BpfMap.openPinned(live);
            } catch (RuntimeException e) {
                return "the live pin " + live + " holds no BPF map (" + e.getMessage() + ")";
            }
            try (old) {
                if (old.id() != rec.oldMapId() || !old.definition().equals(rec.from().definition())) {
                    return "the live pin " + live + " holds map id " + old.id() + " (" + old.definition() + "), its record "
                            + recordFile + " says map id " + rec.oldMapId() + " (" + rec.from().definition() + ")";
                }
                MapMigration migration;
                try {
                    migration = MapMigration.plan("node map " + map, rec.from(), rec.to());
                } catch (RuntimeException e) {
                    return "its record " + recordFile + " names a migration Kiln cannot make (" + e.getMessage() + ")";
                }
                Path retiredPin;
                try {
                    retiredPin = pinRetired(pins, records, map, old, migration);
                } catch (RuntimeException e) {
                    return e.getMessage();
                }
                try {
                    PinnedMaps.move(p, live); // as the killed process's commit would have
                } catch (RuntimeException e) {
                    unpinRetired(retiredPin, records); // the old map keeps the live pin
                    return e.getMessage();
                }
                landed(retiredPin); // adopted by read(), caught up at later swaps, let go when unused
                String failed = null;
                try {
                    migration.catchUp(old, next); // what the old programs made since the copy; never overwriting
                } catch (RuntimeException e) {
                    failed = "renamed over " + live + ", but the catch-up from the old map failed: " + e.getMessage();
                }
                records.write(null, map, next.id(), rec.to());
                records.deleteMigrating(map);
                return failed;
            }
        } catch (IOException | RuntimeException e) {
            return String.valueOf(e.getMessage());
        }
    }

    private static final Pattern NAME_ONLY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");

    /** Migration records whose pin is gone: the commit renamed it and stopped before removing the record, or an abandon did. */
    private static void removeStaleMigratingRecords(LayoutRecords records, Path pinDir, List<String> problems) {
        Path dir = records.migratingDir();
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        int seen = 0;
        try (DirectoryStream<Path> list = Files.newDirectoryStream(dir, "*.json")) {
            for (Path p : list) {
                if (++seen > 4 * MAX_RETIRED) {
                    break; // bounded: the rest waits for the next start
                }
                String file = p.getFileName().toString();
                String map = file.substring(0, file.length() - ".json".length());
                if (NAME_ONLY.matcher(map).matches()
                        && !Files.exists(pinDir.resolve(map + MIGRATING_SUFFIX), LinkOption.NOFOLLOW_LINKS)) {
                    Files.deleteIfExists(p); // a link is removed, not followed
                }
            }
        } catch (IOException | java.nio.file.DirectoryIteratorException e) {
            problems.add("migrating node maps: remove stale records in " + dir + ": " + e.getMessage());
        }
    }

    /** Records whose pin is gone (the pin is removed first, made last): a process stopped between the two. */
    private static void removeStaleRecords(LayoutRecords records, Path pinDir, Set<String> pinNames, List<String> problems) {
        Path dir = records.retiredDir();
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        int seen = 0;
        try (DirectoryStream<Path> list = Files.newDirectoryStream(dir)) {
            for (Path p : list) {
                if (++seen > 4 * MAX_RETIRED) {
                    break; // bounded: the rest waits for the next start
                }
                String file = p.getFileName().toString();
                if (!file.endsWith(".json")) {
                    continue;
                }
                String name = file.substring(0, file.length() - ".json".length());
                if (NAME.matcher(name).matches() && !pinNames.contains(name) && !IN_FLIGHT.contains(pinDir.resolve(name))
                        && !Files.exists(pinDir.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
                    Files.deleteIfExists(p); // a link is removed, not followed
                }
            }
        } catch (IOException | java.nio.file.DirectoryIteratorException e) {
            problems.add("retired node maps: remove stale records in " + dir + ": " + e.getMessage());
        }
    }

    /** True if {@code pin} is a pin of map id {@code mapId}. */
    private static boolean isPinOf(Path pin, int mapId) {
        if (!Files.isRegularFile(pin, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try (BpfMap m = BpfMap.openPinned(pin)) {
            return m.id() == mapId;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * The ids of the maps the given programs use. A program that cannot be read (gone meanwhile)
     * uses nothing; one that fails otherwise counts as using everything kept, so nothing is let go.
     */
    private static Set<Integer> mapsInUse(Collection<Integer> programIds) {
        // UNKNOWN in the result: a program could not be read, so what it uses is not known
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
                    ids.add(UNKNOWN);
                }
            } catch (RuntimeException e) {
                RETIRED.forEach(r -> ids.add(r.oldMap().id()));
                ids.add(UNKNOWN);
            }
        }
        return ids;
    }
}
