package io.kiln.runtime;

import io.kiln.bpf.BpfMap;
import io.kiln.bpf.BpfProgram;
import io.kiln.bpf.MapDefinition;
import io.kiln.bpf.MapLayout;
import io.kiln.runtime.internal.LayoutRecords;
import io.kiln.runtime.internal.RetiredNodeMaps;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a new process finds under {@code ROOT/retired/} and {@code STATE/layouts/retired/} is
 * untrusted: each hostile entry is refused with a message naming its file, left as it is, and the
 * running programs are untouched; a real retired map no program uses any more is caught up into
 * the map at its pin and let go at {@link EndpointLoader#adoptRetiredNodeMaps()}; leftovers of a
 * process killed half-way (a record without its pin, a retired pin of the map still live) are
 * removed.
 */
class RetiredNodeMapsTest {
    private static final String FLOWS = RetiredNodeMapsKernelTest.FLOWS;
    private static final MapDefinition V1 = new MapDefinition(1, 4, 16, 64, 0);
    private static final MapDefinition V2 = new MapDefinition(1, 4, 24, 128, 0);
    private static final List<MapLayout.Field> KEY = List.of(new MapLayout.Field("", 0, 4, "u32"));
    private static final MapLayout FROM = new MapLayout(V1, KEY, List.of(new MapLayout.Field("packets", 0, 8, "u64"),
            new MapLayout.Field("endpoint", 8, 4, "u32")));
    private static final MapLayout TO = new MapLayout(V2, KEY, List.of(new MapLayout.Field("packets", 0, 8, "u64"),
            new MapLayout.Field("bytes", 8, 8, "u64"), new MapLayout.Field("endpoint", 16, 4, "u32")));

    @TempDir
    Path state;
    private EndpointLab lab;
    private final List<BpfMap> maps = new ArrayList<>();

    @AfterEach
    void tearDown() {
        maps.forEach(BpfMap::close);
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void hostileEntriesAreRefusedNamingTheFileAndLeftAsTheyAre() throws Exception {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(AttachMode.AUTO);
        AttachedEndpoint a = lab.closeLater(loader.attach(RetiredNodeMapsKernelTest.version(2),
                RetiredNodeMapsKernelTest.endpointA(lab.epNs)));
        Map<String, Integer> running = a.programIds();
        Path dir = loader.pins().retiredDir();
        Files.createDirectories(dir);
        LayoutRecords records = new LayoutRecords(state.resolve(EndpointLoader.LAYOUTS));
        Path live = loader.pins().nodeMap(FLOWS);

        // a program's pin under a retired map's name, with a record that would fit
        int programId = running.get("ks_ingress");
        Path program = pinned(dir, "ks_flows-" + programId, records, programId, FROM, p -> {
            try (BpfProgram prog = BpfProgram.fromId(programId)) {
                prog.pin(p);
            }
        });
        // a symbolic link to the live map's pin
        Path link = dir.resolve("ks_flows-7");
        Files.createSymbolicLink(link, live);
        // a folder
        Path folder = Files.createDirectory(dir.resolve("ks_flows-8"));
        // a map pinned under a name that is not MAP-ID
        BpfMap odd = map(V1);
        Path oddName = dir.resolve("conntrack");
        odd.pin(oddName);
        // a map whose definition is not the one its record says
        BpfMap other = map(new MapDefinition(1, 4, 8, 16, 0));
        Path otherDef = pinned(dir, "ks_flows-" + other.id(), records, other.id(), FROM, other::pin);
        // a map pinned under another map's id (its record says that id too)
        BpfMap foreign = map(V1);
        Path foreignId = pinned(dir, "ks_flows-" + (foreign.id() + 100_000), records, foreign.id() + 100_000, FROM,
                foreign::pin);
        // a map whose record is garbage, one whose record is a link to /etc/passwd, one without a record
        BpfMap garbage = map(V1);
        Path garbageRecord = pin(dir, "ks_flows-" + garbage.id(), garbage);
        Files.writeString(records.retiredPath("ks_flows-" + garbage.id()), "{\"format\":1,\"map\":\"ks_flows-"
                + garbage.id() + "\",\"mapId\":" + garbage.id() + ",\"type\":1,\"keySize\":4,\"valueSize\":99999999}");
        BpfMap linked = map(V1);
        Path linkedRecord = pin(dir, "ks_flows-" + linked.id(), linked);
        Files.createSymbolicLink(records.retiredPath("ks_flows-" + linked.id()), Path.of("/etc/passwd"));
        BpfMap bare = map(V1);
        Path noRecord = pin(dir, "ks_flows-" + bare.id(), bare);
        // a record that names another map than its file
        BpfMap named = map(V1);
        Path namedOther = pin(dir, "ks_flows-" + named.id(), named);
        records.writeRetired("ks_flows-" + named.id(), named.id(), FROM, TO);
        Files.writeString(records.retiredPath("ks_flows-" + named.id()), Files.readString(
                records.retiredPath("ks_flows-" + named.id())).replace("\"map\":\"ks_flows-" + named.id() + "\"",
                "\"map\":\"policy\""));
        // a migration Kiln cannot make: the record's target retypes a field
        BpfMap retyped = map(V1);
        MapLayout badTo = new MapLayout(V2, KEY, List.of(new MapLayout.Field("packets", 0, 4, "u32")));
        Path retypedTo = pinned(dir, "ks_flows-" + retyped.id(), records, retyped.id(), FROM, retyped::pin, badTo);

        List<String> problems = loader.adoptRetiredNodeMaps();

        String all = String.join("\n", problems);
        expect(problems, program, "not a BPF map: that is a program, not a map; not adopted, left as it is");
        expect(problems, link, "a symbolic link, not a pin; not adopted, left as it is");
        expect(problems, folder, "not a pin (a folder?); not adopted, left as it is");
        expect(problems, oddName, "not a retired node map's name (MAP-ID: the map's name, its kernel id); not adopted,"
                + " left as it is");
        expect(problems, otherDef, "it holds a map of hash key 4 value 8 max_entries 16 flags 0x0, its record "
                + records.retiredPath("ks_flows-" + other.id()) + " says hash key 4 value 16 max_entries 64 flags 0x0;"
                + " not adopted, left as it is");
        expect(problems, foreignId, "it holds map id " + foreign.id() + ", its name says " + (foreign.id() + 100_000)
                + " and its record " + records.retiredPath("ks_flows-" + (foreign.id() + 100_000)) + " says "
                + (foreign.id() + 100_000) + "; not adopted, left as it is");
        expect(problems, garbageRecord, "layout record " + records.retiredPath("ks_flows-" + garbage.id())
                + " is not valid (valueSize: 99999999 is outside 0..65536); not adopted, left as it is");
        expect(problems, linkedRecord, "layout record " + records.retiredPath("ks_flows-" + linked.id())
                + " is not a regular file; not adopted, left as it is");
        expect(problems, noRecord, "no layout record at " + records.retiredPath("ks_flows-" + bare.id())
                + "; not adopted, left as it is");
        expect(problems, namedOther, "layout record " + records.retiredPath("ks_flows-" + named.id())
                + " is not valid (it names map policy); not adopted, left as it is");
        expect(problems, retypedTo, "its record " + records.retiredPath("ks_flows-" + retyped.id()) + " names a"
                + " migration Kiln cannot make (node map ks_flows: cannot migrate: value field packets: its type changed"
                + " from u64 (8 bytes) to u32 (4 bytes);");
        assertEquals(11, problems.size(), all);
        for (String p : problems) {
            assertFalse(p.contains("\tat ") || p.contains("Exception"), "no stack trace, no exception name: " + p);
            assertTrue(p.length() < 600, "a few lines: " + p);
        }
        System.out.println("retired node maps refused:\n" + all);

        assertEquals(0, RetiredNodeMaps.count(), "nothing adopted");
        for (Path p : List.of(program, link, folder, oddName, otherDef, foreignId, garbageRecord, linkedRecord, noRecord,
                namedOther, retypedTo)) {
            assertTrue(Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS), "left as it is: " + p);
        }
        assertTrue(Files.readString(Path.of("/etc/passwd")).contains("root:"), "a record link's target is untouched");
        assertEquals(running, a.programIds(), "the running programs are untouched");
        assertTrue(a.isIntact());
        assertEquals(problems, loader.adoptRetiredNodeMaps(), "asked again: refused again, nothing adopted");
        assertEquals(0, RetiredNodeMaps.count());
        loader.detach(a);
    }

    /**
     * {@code MAP-migrating} pins a killed process left in the node folder: one that is not a map, a
     * link, one a hooked program uses without a record, or with a record of another definition, or
     * whose live pin is missing, is refused naming the file and left as it is; one no hooked program
     * uses is removed with its record; a record whose pin is gone is removed.
     */
    @Test
    void hostileMigratingPinsAreRefusedUnusedOnesGo() throws Exception {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(AttachMode.AUTO);
        AttachedEndpoint a = lab.closeLater(loader.attach(RetiredNodeMapsKernelTest.version(2),
                RetiredNodeMapsKernelTest.endpointA(lab.epNs)));
        Map<String, Integer> running = a.programIds();
        LayoutRecords records = new LayoutRecords(state.resolve(EndpointLoader.LAYOUTS));
        Path node = loader.pins().nodeDir();
        Path live = loader.pins().nodeMap(FLOWS);
        int programId = running.get("ks_ingress");
        int liveId;
        try (BpfMap now = BpfMap.openPinned(live)) {
            liveId = now.id();
            // the live map, which A's program uses, pinned as the migrating map of other node maps
            now.pin(node.resolve("norecord-migrating"));
            now.pin(node.resolve("otherdef-migrating"));
            now.pin(node.resolve("nolive-migrating"));
        }
        records.writeMigrating("otherdef", liveId, 1, FROM, new MapLayout(new MapDefinition(1, 4, 32, 128, 0), KEY,
                List.of(new MapLayout.Field("packets", 0, 8, "u64"))));
        records.writeMigrating("nolive", liveId, 1, FROM, TO);
        Path program = node.resolve("prog-migrating");
        try (BpfProgram prog = BpfProgram.fromId(programId)) {
            prog.pin(program);
        }
        Path link = node.resolve("link-migrating");
        Files.createSymbolicLink(link, live);
        // a migration whose programs never ran: no hooked program uses its map
        BpfMap unused = map(V2);
        Path unusedPin = node.resolve("unused-migrating");
        unused.pin(unusedPin);
        records.writeMigrating("unused", unused.id(), 1, FROM, TO);
        // a record whose pin is gone
        records.writeMigrating("gone", 1234567, 1, FROM, TO);

        List<String> problems = loader.adoptRetiredNodeMaps();

        String all = String.join("\n", problems);
        expectMigrating(problems, node.resolve("norecord-migrating"), "programs on a hook use it (map id " + liveId
                + "), but no layout record at " + records.migratingPath("norecord") + "; not finished, left as it is");
        expectMigrating(problems, node.resolve("otherdef-migrating"), "it holds map id " + liveId
                + " (hash key 4 value 24 max_entries 128 flags 0x0), its record " + records.migratingPath("otherdef")
                + " says map id " + liveId + " (hash key 4 value 32 max_entries 128 flags 0x0); not finished, left as it is");
        expectMigrating(problems, node.resolve("nolive-migrating"), "the live pin " + node.resolve("nolive")
                + " is missing or not a pin; not finished, left as it is");
        expectMigrating(problems, program, "not a BPF map: that is a program, not a map; not finished, left as it is");
        expectMigrating(problems, link, "a symbolic link, not a pin; not finished, left as it is");
        assertEquals(5, problems.size(), all);
        System.out.println("migrating node maps refused:\n" + all);
        for (String p : List.of("norecord-migrating", "otherdef-migrating", "nolive-migrating", "prog-migrating",
                "link-migrating")) {
            assertTrue(Files.exists(node.resolve(p), java.nio.file.LinkOption.NOFOLLOW_LINKS), "left as it is: " + p);
        }
        assertTrue(Files.exists(records.migratingPath("otherdef")), "a refused pin's record stays");
        assertFalse(Files.exists(unusedPin), "a migrating map no hooked program uses is removed");
        assertFalse(Files.exists(records.migratingPath("unused")), "with its record");
        assertFalse(Files.exists(records.migratingPath("gone")), "a record without its pin is removed");
        try (BpfMap now = BpfMap.openPinned(live)) {
            assertEquals(liveId, now.id(), "the live pin is untouched");
        }
        assertEquals(running, a.programIds(), "the running programs are untouched");
        assertTrue(a.isIntact());
        assertEquals(problems, loader.adoptRetiredNodeMaps(), "asked again: refused again");
        loader.detach(a);
    }

    private static void expectMigrating(List<String> problems, Path file, String tail) {
        String head = "migrating node map " + file + ": ";
        for (String p : problems) {
            if (p.startsWith(head)) {
                assertTrue(p.substring(head.length()).startsWith(tail), "for " + file + ":\n" + p + "\nexpected:\n"
                        + head + tail);
                return;
            }
        }
        throw new AssertionError("no message about " + file + " in\n" + String.join("\n", problems));
    }

    @Test
    void tooManyEntriesAreNotAllLookedAt() throws Exception {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(AttachMode.AUTO);
        Path dir = loader.pins().retiredDir();
        Files.createDirectories(dir);
        for (int i = 1; i <= 70; i++) {
            Files.createDirectory(dir.resolve("ks_flows-" + i));
        }
        List<String> problems = loader.adoptRetiredNodeMaps();
        assertEquals(65, problems.size(), String.join("\n", problems));
        assertTrue(problems.contains("retired node maps: " + dir + " holds more than 64 entries (Kiln keeps one per"
                + " migrated node map while endpoints still run their old programs); the first 64 were looked at, the"
                + " rest are not adopted and left as they are"), String.join("\n", problems));
        try (var list = Files.list(dir)) {
            assertEquals(70, list.count(), "left as they are");
        }
    }

    @Test
    void aRetiredMapNoProgramUsesIsCaughtUpAndLetGoLeftoversGo() throws Exception {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(AttachMode.AUTO);
        AttachedEndpoint a = lab.closeLater(loader.attach(RetiredNodeMapsKernelTest.version(2),
                RetiredNodeMapsKernelTest.endpointA(lab.epNs)));
        Path dir = loader.pins().retiredDir();
        LayoutRecords records = new LayoutRecords(state.resolve(EndpointLoader.LAYOUTS));
        Path live = loader.pins().nodeMap(FLOWS);
        Files.createDirectories(dir);

        // the old map of a migration whose last old program is gone: two entries only it has
        BpfMap old = map(V1);
        old.update(TestTemplates.u32(9001), v1(5, 8));
        old.update(TestTemplates.u32(9002), v1(6, 8));
        Path oldPin = pinned(dir, RetiredNodeMaps.pinName(FLOWS, old.id()), records, old.id(), FROM, old::pin, TO);
        // killed between pinning the old map here and the rename: the live pin still holds it
        int liveId;
        try (BpfMap now = BpfMap.openPinned(live)) {
            liveId = now.id();
            now.update(TestTemplates.u32(9003), v2(1, 2, 7));
            Path stillLive = pinned(dir, RetiredNodeMaps.pinName(FLOWS, liveId), records, liveId, TO, now::pin, TO);
            assertTrue(Files.exists(stillLive));
        }
        // killed between removing a retired pin and its record
        records.writeRetired("ks_flows-1234567", 1234567, FROM, TO);

        assertEquals(List.of(), loader.adoptRetiredNodeMaps());

        assertEquals(0, RetiredNodeMaps.count(), "no program uses the old map: let go");
        assertEquals(List.of(), lab.pins().stream().filter(p -> p.startsWith("retired/")).toList());
        try (var list = Files.list(records.retiredDir())) {
            assertEquals(List.of(), list.toList(), "no record left");
        }
        try (BpfMap now = BpfMap.openPinned(live)) {
            assertEquals(liveId, now.id(), "the live map keeps its pin");
            for (int port : new int[] {9001, 9002}) {
                ByteBuffer v = ByteBuffer.wrap(now.lookup(TestTemplates.u32(port)).orElseThrow()).order(ByteOrder.nativeOrder());
                assertEquals(port - 8996, v.getLong(0), "packets of " + port + ": caught up at the last catch-up");
                assertEquals(0, v.getLong(8), "bytes: new, zero");
                assertEquals(8, v.getInt(16), "endpoint: moved");
            }
            assertEquals(7, ByteBuffer.wrap(now.lookup(TestTemplates.u32(9003)).orElseThrow())
                    .order(ByteOrder.nativeOrder()).getInt(16));
        }
        assertTrue(a.isIntact());
        loader.detach(a);
    }

    private interface Pinner {
        void pin(Path p) throws Exception;
    }

    private static Path pinned(Path dir, String name, LayoutRecords records, int mapId, MapLayout from, Pinner pinner)
            throws Exception {
        return pinned(dir, name, records, mapId, from, pinner, TO);
    }

    private static Path pinned(Path dir, String name, LayoutRecords records, int mapId, MapLayout from, Pinner pinner,
                               MapLayout to) throws Exception {
        records.writeRetired(name, mapId, from, to);
        Path p = dir.resolve(name);
        pinner.pin(p);
        return p;
    }

    private static Path pin(Path dir, String name, BpfMap map) {
        Path p = dir.resolve(name);
        map.pin(p);
        return p;
    }

    private BpfMap map(MapDefinition d) {
        BpfMap m = BpfMap.create("ks_hostile", d);
        maps.add(m);
        return m;
    }

    private static void expect(List<String> problems, Path file, String tail) {
        String head = "retired node map " + file + ": ";
        for (String p : problems) {
            if (p.startsWith(head)) {
                assertTrue(p.substring(head.length()).startsWith(tail), "for " + file + ":\n" + p + "\nexpected:\n"
                        + head + tail);
                return;
            }
        }
        throw new AssertionError("no message about " + file + " in\n" + String.join("\n", problems));
    }

    private static byte[] v1(long packets, int endpoint) {
        return ByteBuffer.allocate(16).order(ByteOrder.nativeOrder()).putLong(packets).putInt(endpoint).putInt(0).array();
    }

    private static byte[] v2(long packets, long bytes, int endpoint) {
        return ByteBuffer.allocate(24).order(ByteOrder.nativeOrder()).putLong(packets).putLong(bytes).putInt(endpoint)
                .putInt(0).array();
    }
}
