package io.kiln.runtime.internal;

import io.kiln.bpf.MapDefinition;
import io.kiln.bpf.MapLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Layout records are untrusted: anything but a well-formed record of the named map reads as "unknown", with the reason. */
class LayoutRecordsTest {
    private static final MapLayout CT = new MapLayout(new MapDefinition(9, 16, 24, 65536, 0),
            List.of(new MapLayout.Field("saddr", 0, 4, "u32"), new MapLayout.Field("daddr", 4, 4, "u32")),
            List.of(new MapLayout.Field("expires", 0, 8, "u64"), new MapLayout.Field("pad", 19, 5, "u8[5]")));

    @TempDir
    Path dir;

    @Test
    void roundTrip() {
        LayoutRecords r = new LayoutRecords(dir);
        r.write(null, "conntrack", 42, CT);
        r.write(3, "policy", 7, CT);
        LayoutRecords.Lookup l = r.read(null, "conntrack");
        assertTrue(l.found(), l.problem());
        assertEquals(42, l.recorded().mapId());
        assertEquals(CT, l.recorded().layout());
        assertEquals(7, r.read(3, "policy").recorded().mapId());
        assertTrue(Files.exists(dir.resolve("node/conntrack.json")));
        r.deleteEndpoint(3);
        assertFalse(r.read(3, "policy").found());
        assertTrue(r.read(null, "conntrack").found());
    }

    @Test
    void retiredRecordsHoldBothLayoutsAndAreCheckedLikeTheOthers() throws Exception {
        LayoutRecords r = new LayoutRecords(dir);
        MapLayout bigger = new MapLayout(new MapDefinition(9, 16, 32, 131072, 0), CT.key(),
                List.of(new MapLayout.Field("expires", 0, 8, "u64"), new MapLayout.Field("bytes", 24, 8, "u64")));
        r.writeRetired("conntrack-812", 812, CT, bigger);
        LayoutRecords.RetiredLookup l = r.readRetired("conntrack-812");
        assertTrue(l.found(), l.problem());
        assertEquals(new LayoutRecords.RetiredRecord(812, CT, bigger), l.recorded());
        assertTrue(Files.exists(dir.resolve("retired/conntrack-812.json")));
        assertFalse(r.read(null, "conntrack").found(), "not the live map's record");

        Path file = dir.resolve("retired/conntrack-812.json");
        String json = Files.readString(file);
        Files.writeString(file, json.replaceFirst(",\"to\":\\{.*\\}\\}$", "}"));
        assertEquals("layout record " + file + " is not valid (to: expected the layout migrated to, an object)",
                r.readRetired("conntrack-812").problem());
        Files.writeString(file, json.replace("\"maxEntries\":131072", "\"maxEntries\":-5"));
        assertEquals("layout record " + file + " is not valid (maxEntries: -5 is outside 0..4294967295)",
                r.readRetired("conntrack-812").problem());
        assertEquals("the name ../x cannot name a record file", r.readRetired("../x").problem());
        r.deleteRetired("conntrack-812");
        assertEquals("no layout record at " + file, r.readRetired("conntrack-812").problem());
    }

    private String problem(String json) throws Exception {
        Files.createDirectories(dir.resolve("node"));
        Files.writeString(dir.resolve("node/conntrack.json"), json);
        LayoutRecords.Lookup l = new LayoutRecords(dir).read(null, "conntrack");
        assertNull(l.recorded());
        String prefix = "layout record " + dir.resolve("node/conntrack.json") + " ";
        assertTrue(l.problem().startsWith(prefix), l.problem());
        return l.problem().substring(prefix.length());
    }

    private static String record(String keyFields) {
        return "{\"format\":1,\"map\":\"conntrack\",\"mapId\":42,\"type\":9,\"keySize\":16,\"valueSize\":24,"
                + "\"maxEntries\":65536,\"flags\":0,\"key\":" + keyFields + ",\"value\":[]}";
    }

    @Test
    void badRecordsAreUnknownWithTheReason() throws Exception {
        assertEquals("no layout record at " + dir.resolve("node/conntrack.json"),
                new LayoutRecords(dir).read(null, "conntrack").problem());
        assertEquals("is not valid (not a JSON object)", problem("[1]"));
        assertEquals("is not valid (key[0]: offset 14 + size 4 is past the 16 bytes of the key)",
                problem(record("[{\"name\":\"x\",\"offset\":14,\"size\":4,\"type\":\"u32\"}]")));
        assertEquals("is not valid (key[0].name: not a field name)",
                problem(record("[{\"name\":\"../x\",\"offset\":0,\"size\":4,\"type\":\"u32\"}]")));
        assertEquals("is not valid (mapId: -1 is outside 1..2147483647)",
                problem(record("[]").replace("\"mapId\":42", "\"mapId\":-1")));
        assertEquals("is not valid (it names map policy)", problem(record("[]").replace("\"map\":\"conntrack\"",
                "\"map\":\"policy\"")));
        assertEquals("is not valid (format 2, this Kiln reads format 1)", problem(record("[]").replace("\"format\":1",
                "\"format\":2")));
        assertTrue(problem("{" + " ".repeat(70_000) + "}").startsWith("is larger than 65536 bytes"),
                "a record is read to 64 KiB at most");
    }

    @Test
    @org.junit.jupiter.api.Timeout(value = 10, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aFifoOrALinkIsNeverOpened() throws Exception {
        Path fifo = dir.resolve("node/conntrack.json");
        Files.createDirectories(fifo.getParent());
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        assertEquals("layout record " + fifo + " is not a regular file",
                new LayoutRecords(dir).read(null, "conntrack").problem(), "no writer: an open would block");
        Path link = dir.resolve("node/policy.json");
        Files.createSymbolicLink(link, Path.of("/dev/zero"));
        assertEquals("layout record " + link + " is not a regular file", new LayoutRecords(dir).read(null, "policy").problem());
    }

    @Test
    void aMapNameThatCannotBeAFileHasNoRecord() {
        LayoutRecords r = new LayoutRecords(dir);
        r.write(null, "../evil", 1, CT);
        assertFalse(r.read(null, "../evil").found());
        assertEquals(List.of(), dir.toFile().list() == null ? List.of() : List.of(dir.toFile().list()));
    }
}
