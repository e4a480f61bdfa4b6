package io.kiln.bpf;

import io.kiln.testing.BpfLeakCheck;
import io.kiln.testing.KernelRequirements;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Map pinning, reuse across loads, the compatibility check, and data access. */
class MapTest {
    private static final byte[] KEY_COUNTED = u32(7);  // the key kt_count increments
    private static final byte[] KEY_MINE = u32(1);

    private BpfLeakCheck leaks;
    private PinDir pins;

    @BeforeEach
    void kernel() {
        KernelRequirements.assumeKernel();
        KernelRequirements.assumeTools("bpftool");
        leaks = BpfLeakCheck.begin("kt_");
        pins = new PinDir();
    }

    @AfterEach
    void cleanUp() {
        if (pins != null) {
            pins.close();
        }
        if (leaks != null) {
            leaks.assertNoLeaks();
        }
    }

    @Test
    void pinnedMapKeepsEntriesAcrossReload() {
        byte[] elf = TestObjects.bytes("kt_count");
        byte[] frame = Frames.udp(new byte[8]);
        Path pin = pins.resolve("kt_counters");

        try (BpfObject first = BpfObject.open(elf, "kt_count")) {
            BpfMap counters = first.map("kt_counters");
            assertEquals(new MapDefinition(1, 4, 8, 16, 0), counters.definition());
            counters.setPinPath(pin);
            first.load();
            assertTrue(Files.exists(pin), "libbpf pinned the new map at load");
            first.program("kt_count").testRun(TestRunOptions.of(frame));
            assertEquals(1L, u64(counters.lookup(KEY_COUNTED).orElseThrow()));
            counters.update(KEY_MINE, u64(42), BpfMap.NOEXIST);
            assertEquals(Optional.empty(), counters.lookup(u32(99)));
        }

        try (BpfObject second = BpfObject.open(elf, "kt_count")) {
            BpfMap counters = second.map("kt_counters");
            counters.reusePinned(pin);
            second.load();
            assertEquals(42L, u64(counters.lookup(KEY_MINE).orElseThrow()), "entry written through the first load");
            second.program("kt_count").testRun(TestRunOptions.of(frame));
            assertEquals(2L, u64(counters.lookup(KEY_COUNTED).orElseThrow()), "counter went on from 1");
            List<Integer> keys = counters.keys().stream().map(MapTest::u32).sorted().toList();
            assertEquals(List.of(1, 7), keys);
        }

        try (BpfObject third = BpfObject.open(elf, "kt_count")) {
            third.map("kt_counters").setPinPath(pin); // libbpf's own reuse of an existing pin
            third.load();
            assertEquals(42L, u64(third.map("kt_counters").lookup(KEY_MINE).orElseThrow()));
        }

        try (BpfMap standalone = BpfMap.openPinned(pin)) {
            assertEquals("kt_counters", standalone.name());
            assertEquals(new MapDefinition(1, 4, 8, 16, 0), standalone.definition());
            assertTrue(standalone.delete(KEY_MINE));
            assertFalse(standalone.delete(KEY_MINE));
            assertEquals(List.of(7), standalone.keys().stream().map(MapTest::u32).toList());
        }
    }

    @Test
    void incompatibleRedefinitionIsRefused() {
        Path pin = pins.resolve("kt_counters");
        try (BpfObject first = BpfObject.open(TestObjects.bytes("kt_count"), "kt_count")) {
            first.map("kt_counters").setPinPath(pin);
            first.load();
        }
        String expected = "object kt_count: map kt_counters: reuse pinned map " + pin + ": incompatible definition: "
                + "pinned map is hash key 4 value 8 max_entries 16 flags 0x0, object defines hash key 4 value 4 "
                + "max_entries 16 flags 0x0 (remove the pin to recreate the map, losing its entries)";
        try (BpfObject v2 = BpfObject.open(TestObjects.bytes("kt_count_v2"), "kt_count")) {
            BpfException e = assertThrows(BpfException.class, () -> v2.map("kt_counters").reusePinned(pin));
            assertEquals(expected, e.getMessage());
        }
        try (BpfObject v2 = BpfObject.open(TestObjects.bytes("kt_count_v2"), "kt_count")) {
            v2.map("kt_counters").setPinPath(pin);
            BpfException e = assertThrows(BpfException.class, v2::load);
            assertEquals(expected, e.getMessage());
            assertFalse(v2.isLoaded(), "refused before the kernel saw anything");
        }
    }

    @Test
    void openMapIsSharedByLaterObjects() {
        Path pin = pins.resolve("kt_counters");
        try (BpfObject first = BpfObject.open(TestObjects.bytes("kt_count"), "kt_count")) {
            first.map("kt_counters").setPinPath(pin);
            first.load();
            first.map("kt_counters").update(KEY_MINE, u64(5));
        }
        try (BpfMap node = BpfMap.openPinned(pin)) {
            for (int i = 0; i < 2; i++) {
                try (BpfObject endpoint = BpfObject.open(TestObjects.bytes("kt_count"), "kt_count")) {
                    endpoint.map("kt_counters").reuse(node);
                    endpoint.load();
                    assertEquals(node.id(), endpoint.map("kt_counters").id(), "the same kernel map");
                    assertEquals(5L, u64(endpoint.map("kt_counters").lookup(KEY_MINE).orElseThrow()));
                }
            }
            try (BpfObject v2 = BpfObject.open(TestObjects.bytes("kt_count_v2"), "kt_count")) {
                BpfException e = assertThrows(BpfException.class, () -> v2.map("kt_counters").reuse(node));
                assertEquals("object kt_count: map kt_counters: reuse map kt_counters: incompatible definition: "
                        + "existing map is hash key 4 value 8 max_entries 16 flags 0x0, object defines hash key 4 "
                        + "value 4 max_entries 16 flags 0x0", e.getMessage());
            }
        }
    }

    @Test
    void perCpuValuesAreSplitPerCpu() {
        try (BpfObject object = BpfObject.open(TestObjects.bytes("kt_count"), "kt_count")) {
            object.load();
            BpfMap percpu = object.map("kt_percpu");
            assertTrue(percpu.isPerCpu());
            int cpus = BpfMap.possibleCpus();
            assertEquals(8 * cpus, percpu.valueBufferSize(), "4-byte values padded to 8, one per possible CPU");
            object.program("kt_count").testRun(TestRunOptions.builder().data(Frames.udp(new byte[0])).repeat(5).build());
            List<byte[]> values = percpu.lookupPerCpu(u32(0)).orElseThrow();
            assertEquals(cpus, values.size());
            assertEquals(5, values.stream().mapToInt(MapTest::u32).sum(), "five runs, on whichever CPUs");
            BpfException e = assertThrows(BpfException.class, () -> percpu.update(u32(0), u32(1)));
            assertEquals("object kt_count: map kt_percpu: update: value is 4 bytes, the map takes " + 8 * cpus
                    + " (per-CPU: one padded value per possible CPU)", e.getMessage());
        }
    }

    @Test
    void failuresNameObjectMapOperationAndErrno() {
        Path pin = pins.resolve("taken");
        try (BpfObject object = BpfObject.open(TestObjects.bytes("kt_count"), "kt_count")) {
            object.load();
            BpfMap counters = object.map("kt_counters");
            counters.pin(pin);
            BpfException e = assertThrows(BpfException.class, () -> object.map("kt_percpu").pin(pin));
            assertTrue(e.getMessage().startsWith("object kt_count: map kt_percpu: pin " + pin
                    + ": File exists (EEXIST)"), e.getMessage());
            assertEquals(17, e.errno());
            BpfException kind = assertThrows(BpfException.class, () -> BpfLink.openPinned(pin));
            assertEquals("link: open pinned " + pin + ": that is a map, not a link", kind.getMessage());
            assertThrows(BpfException.class, () -> BpfProgram.openPinned(pin));
            BpfException key = assertThrows(BpfException.class, () -> counters.lookup(new byte[3]));
            assertEquals("object kt_count: map kt_counters: lookup: key is 3 bytes, the map has 4-byte keys",
                    key.getMessage());
            counters.unpin(pin);
            assertFalse(Files.exists(pin));
        }
        BpfException missing = assertThrows(BpfException.class, () -> BpfMap.openPinned(pins.resolve("nothing")));
        assertEquals("map: open pinned " + pins.resolve("nothing") + ": No such file or directory (ENOENT)",
                missing.getMessage());
        try (BpfObject object = BpfObject.open(TestObjects.bytes("kt_count"), "kt_count")) {
            BpfException noMap = assertThrows(BpfException.class, () -> object.map("nope"));
            assertEquals("object kt_count: no map nope (has: kt_counters, kt_percpu)", noMap.getMessage());
        }
    }

    static byte[] u32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(v).array();
    }

    static int u32(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.nativeOrder()).getInt();
    }

    static byte[] u64(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(v).array();
    }

    static long u64(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.nativeOrder()).getLong();
    }
}
