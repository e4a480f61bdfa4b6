package io.kiln.runtime;

import io.kiln.bpf.BpfMap;
import io.kiln.template.ConstantDecl;
import io.kiln.template.ConstantType;
import io.kiln.template.Hook;
import io.kiln.template.MapDecl;
import io.kiln.template.MapScope;
import io.kiln.template.ProgramDecl;
import io.kiln.template.TemplateDescriptor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A pinned map whose layout changes between two objects of a template (ks_mig_v1 -> v2: a field
 * added before a moved one, twice the entries) is migrated field by field at the swap; a change
 * it cannot migrate (v3: a field retyped) is refused and leaves everything running as it was.
 */
class MapMigrationTest {
    private static final int ID = 7;
    private static final String TABLE = "ks_table";

    @TempDir
    Path state;
    private EndpointLab lab;

    @AfterEach
    void tearDown() {
        if (lab != null) {
            lab.close();
        }
    }

    static TemplateDescriptor template() {
        Path root = TestTemplates.resources();
        return new TemplateDescriptor("ks_mig", root, root.resolve("ks_mig.template.yaml"), root.resolve("ks_mig.bpf.c.ftl"),
                List.of(root), List.of(new ProgramDecl("ks_ingress", Hook.TC_INGRESS)), List.of(),
                List.of(new ConstantDecl("ENDPOINT_ID", ConstantType.U16, "endpoint id")),
                List.of(new MapDecl(TABLE, MapScope.ENDPOINT, true)));
    }

    static TemplateObject version(int v) {
        return TestTemplates.object(template(), "ks_mig_v" + v + ".bpf.c");
    }

    private Endpoint endpoint() {
        return lab.endpoint(ID, Map.of("ENDPOINT_ID", TestTemplates.u16(ID)));
    }

    @Test
    void fieldAddedAndMovedAndCapacityDoubledMigrateAtTheSwap() throws Exception {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(AttachMode.AUTO);
        AttachedEndpoint attached = lab.closeLater(loader.attach(version(1), endpoint()));
        Path pin = lab.pinRoot.resolve("endpoints/" + ID + "/" + TABLE);
        Path record = state.resolve("layouts/" + ID + "/" + TABLE + ".json");
        assertTrue(Files.exists(record), "the attach recorded the layout");
        assertTrue(Files.readString(record).contains("\"name\":\"b\",\"offset\":8,\"size\":4,\"type\":\"u32\""),
                Files.readString(record));
        int oldId;
        try (BpfMap t = BpfMap.openPinned(pin)) {
            oldId = t.id();
            for (int i = 0; i < 10; i++) {
                t.update(TestTemplates.u32(i), v1(100 + i, 1000 + i));
            }
        }
        assertEquals(5, lab.udpDelivered(5));

        loader.swap(attached, version(2), endpoint());

        try (BpfMap t = BpfMap.openPinned(pin)) {
            assertNotEquals(oldId, t.id(), "a new map holds the pin");
            assertEquals(32, t.definition().maxEntries());
            assertEquals(24, t.definition().valueSize());
            assertEquals(10, t.keys().size());
            for (int i = 1; i < 10; i++) {
                ByteBuffer v = value(t, i);
                assertEquals(100 + i, v.getLong(0), "a of " + i);
                assertEquals(0, v.getLong(8), "c of " + i + " (new field): zero");
                assertEquals(1000 + i, v.getInt(16), "b of " + i + " (moved)");
            }
            assertEquals(105, value(t, 0).getLong(0), "the five datagrams counted by v1");
            assertEquals(attached.specialized().orElseThrow().map(TABLE).id(), t.id(), "the new programs use it");
        }
        assertEquals(5, lab.udpDelivered(5));
        try (BpfMap t = BpfMap.openPinned(pin)) {
            ByteBuffer v = value(t, 0);
            assertEquals(110, v.getLong(0), "v2 counts on in the migrated a");
            assertEquals(5, v.getLong(8), "and in the new c");
            assertEquals(1000, v.getInt(16), "b untouched");
        }
        assertFalse(Files.exists(pin.resolveSibling(TABLE + Specializer.MIGRATING_SUFFIX)), "no temp pin left");
        assertTrue(Files.readString(record).contains("\"name\":\"b\",\"offset\":16"), "the new layout is recorded");
        assertEquals(List.of("endpoints/" + ID + "/" + TABLE), lab.pins().stream()
                .filter(p -> p.startsWith("endpoints/" + ID + "/") && !p.contains("/links/")).toList());
    }

    @Test
    void retypedFieldIsRefusedAndNothingChanges() throws Exception {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(AttachMode.AUTO);
        AttachedEndpoint attached = lab.closeLater(loader.attach(version(1), endpoint()));
        Path pin = lab.pinRoot.resolve("endpoints/" + ID + "/" + TABLE);
        int oldId;
        try (BpfMap t = BpfMap.openPinned(pin)) {
            oldId = t.id();
            t.update(TestTemplates.u32(3), v1(7, 8));
        }
        Map<String, Integer> running = attached.programIds();
        String stateBefore = Files.readString(loader.stateFile(ID));

        EndpointException e = assertThrows(EndpointException.class, () -> loader.swap(attached, version(3), endpoint()));
        assertEquals("endpoint 7: map ks_table: cannot migrate: value field b: its type changed from u32 (4 bytes) to"
                + " u64 (8 bytes); Kiln migrates added, removed and moved fields, not retyped ones. The running programs"
                + " and the map are untouched; remove the pin to start the map empty, or keep the old layout",
                e.getMessage());
        assertTrue(e.isUserError());
        assertEquals(running, attached.programIds());
        assertTrue(attached.isIntact());
        assertEquals(stateBefore, Files.readString(loader.stateFile(ID)));
        try (BpfMap t = BpfMap.openPinned(pin)) {
            assertEquals(oldId, t.id(), "the old map keeps its pin");
            assertEquals(8, ByteBuffer.wrap(t.lookup(TestTemplates.u32(3)).orElseThrow()).order(ByteOrder.nativeOrder())
                    .getInt(8));
        }
        assertFalse(Files.exists(pin.resolveSibling(TABLE + Specializer.MIGRATING_SUFFIX)));
        assertEquals(5, lab.udpDelivered(5), "the old program still runs");
    }

    @Test
    void fewerEntriesThanLiveIsRefused() throws Exception {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(AttachMode.AUTO);
        AttachedEndpoint attached = lab.closeLater(loader.attach(version(1), endpoint()));
        Path pin = lab.pinRoot.resolve("endpoints/" + ID + "/" + TABLE);
        try (BpfMap t = BpfMap.openPinned(pin)) {
            for (int i = 0; i < 10; i++) {
                t.update(TestTemplates.u32(i), v1(i, i));
            }
        }
        Map<String, Integer> running = attached.programIds();
        EndpointException e = assertThrows(EndpointException.class, () -> loader.swap(attached, version(4), endpoint()));
        assertEquals("endpoint 7: map ks_table: cannot migrate: max_entries 8 is below the 10 entries it holds now (was"
                + " 16). The running programs and the map are untouched; remove the pin to start the map empty, or keep"
                + " the old layout", e.getMessage());
        assertEquals(running, attached.programIds());
        assertTrue(attached.isIntact());
        assertFalse(Files.exists(pin.resolveSibling(TABLE + Specializer.MIGRATING_SUFFIX)));
        try (BpfMap t = BpfMap.openPinned(pin)) {
            t.delete(TestTemplates.u32(9));
            t.delete(TestTemplates.u32(8));
        }
        loader.swap(attached, version(4), endpoint()); // 8 live entries fit in 8
        try (BpfMap t = BpfMap.openPinned(pin)) {
            assertEquals(8, t.definition().maxEntries());
            assertEquals(8, t.keys().size());
        }
    }

    @Test
    void unrecordedLayoutFallsBackToAnExactMatchOrIsRefused() throws Exception {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(AttachMode.AUTO);
        AttachedEndpoint attached = lab.closeLater(loader.attach(version(1), endpoint()));
        Path record = state.resolve("layouts/" + ID + "/" + TABLE + ".json");
        Files.writeString(record, "{\"format\":1,\"map\":\"ks_table\",\"mapId\":1,\"type\":1,\"keySize\":4,"
                + "\"valueSize\":99999999}"); // corrupt: treated as unknown
        loader.swap(attached, version(1), endpoint()); // same definition: reused as before, record rewritten
        assertTrue(Files.readString(record).contains("\"valueSize\":16"));

        Files.delete(record);
        Map<String, Integer> running = attached.programIds();
        EndpointException e = assertThrows(EndpointException.class, () -> loader.swap(attached, version(2), endpoint()));
        Path pin = lab.pinRoot.resolve("endpoints/" + ID + "/" + TABLE);
        assertEquals("endpoint 7: map ks_table: the map pinned at " + pin + " is hash key 4 value 16 max_entries 16"
                + " flags 0x0, the object defines hash key 4 value 24 max_entries 32 flags 0x0; its layout is unknown (no"
                + " layout record at " + record + "), so its entries cannot be migrated field by field. The running"
                + " programs are untouched; remove the pin to start the map empty", e.getMessage());
        assertEquals(running, attached.programIds());
        assertTrue(attached.isIntact());
    }

    private static byte[] v1(long a, int b) {
        return ByteBuffer.allocate(16).order(ByteOrder.nativeOrder()).putLong(a).putInt(b).putInt(0).array();
    }

    private static ByteBuffer value(BpfMap t, int key) {
        return ByteBuffer.wrap(t.lookup(TestTemplates.u32(key)).orElseThrow()).order(ByteOrder.nativeOrder());
    }
}
