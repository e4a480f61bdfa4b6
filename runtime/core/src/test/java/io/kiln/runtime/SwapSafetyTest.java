package io.kiln.runtime;

import io.kiln.bpf.BpfException;
import io.kiln.bpf.BpfMap;
import io.kiln.bpf.VerifierException;
import io.kiln.template.ConstantDecl;
import io.kiln.template.ConstantType;
import io.kiln.template.Hook;
import io.kiln.template.ProgramDecl;
import io.kiln.template.TemplateDescriptor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whatever a swap's new program gets wrong (a constant, the verifier, a pinned map's definition),
 * the running program stays attached, the same program id, and the error says why.
 */
class SwapSafetyTest {
    private static final int ID = 9;
    private static final byte[] SLOT_3 = TestTemplates.u32(3);

    @TempDir
    Path state;
    private EndpointLab lab;

    @AfterEach
    void tearDown() {
        if (lab != null) {
            lab.close();
        }
    }

    private AttachedEndpoint attachGate(EndpointLoader loader) {
        return lab.closeLater(loader.attach(TestTemplates.gateObject(),
                lab.endpoint(ID, TestTemplates.gateConstants(0, 0, ID))));
    }

    @Test
    void unknownConstantIsRefusedBeforeLoad() {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(AttachMode.AUTO);
        AttachedEndpoint attached = attachGate(loader);
        Map<String, Integer> running = attached.programIds();
        String stateBefore = readState(loader);

        Map<String, byte[]> constants = new HashMap<>(TestTemplates.gateConstants(1, 0, ID));
        constants.put("DORP", TestTemplates.u32(1));
        EndpointException e = assertThrows(EndpointException.class, () -> loader.swap(attached,
                TestTemplates.gateObject(), lab.endpoint(ID, constants)));
        assertEquals("endpoint 9: template ks_gate: constant DORP: unknown constant (declared: DROP, SLOT, ENDPOINT_ID, "
                + "UNSAFE)", e.getMessage());
        assertTrue(e.isUserError());
        assertUntouched(loader, attached, running, stateBefore);
    }

    @Test
    void constantOfTheWrongTypeIsRefusedBeforeLoad() {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(AttachMode.LEGACY_TC);
        AttachedEndpoint attached = attachGate(loader);
        Map<String, Integer> running = attached.programIds();
        String stateBefore = readState(loader);

        Map<String, byte[]> constants = new HashMap<>(TestTemplates.gateConstants(0, 0, ID));
        constants.put("DROP", TestTemplates.u16(1));
        EndpointException e = assertThrows(EndpointException.class, () -> loader.swap(attached,
                TestTemplates.gateObject(), lab.endpoint(ID, constants)));
        assertEquals("endpoint 9: template ks_gate: constant DROP: wrong type: declared u32 (4 bytes), the value has "
                + "2 bytes", e.getMessage());
        assertUntouched(loader, attached, running, stateBefore);
    }

    @Test
    void descriptorThatDisagreesWithTheObjectIsRefused() {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(AttachMode.AUTO);
        AttachedEndpoint attached = attachGate(loader);
        Map<String, Integer> running = attached.programIds();
        String stateBefore = readState(loader);

        // the C variable is __u16; a descriptor calling it u32 would write past it into the next constant
        TemplateDescriptor wrong = TestTemplates.descriptor(TestTemplates.GATE, TestTemplates.gate().programs(),
                List.of(new ConstantDecl("DROP", ConstantType.U32, ""), new ConstantDecl("ENDPOINT_ID", ConstantType.U32, "")));
        TemplateObject object = TemplateObject.of(wrong, null, TestTemplates.gateObject().bytes());
        EndpointException e = assertThrows(EndpointException.class, () -> loader.swap(attached, object,
                lab.endpoint(ID, Map.of("ENDPOINT_ID", TestTemplates.u32(ID)))));
        assertEquals("endpoint 9: template ks_gate: constant ENDPOINT_ID: the object's variable is __u16 (2 bytes) but "
                + "the template declares u32 (4 bytes); fix the descriptor or the C declaration", e.getMessage());
        assertUntouched(loader, attached, running, stateBefore);
    }

    @Test
    void verifierRejectionKeepsTheOldProgramAttached() {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(AttachMode.TCX);
        AttachedEndpoint attached = attachGate(loader);
        Map<String, Integer> running = attached.programIds();
        String stateBefore = readState(loader);

        // same object; UNSAFE=1 makes a branch live that the verifier never saw while it was dead
        Map<String, byte[]> unsafe = new HashMap<>(TestTemplates.gateConstants(1, 0, ID));
        unsafe.put("UNSAFE", TestTemplates.u32(1));
        VerifierException e = assertThrows(VerifierException.class, () -> loader.swap(attached,
                TestTemplates.gateObject(), lab.endpoint(ID, unsafe)));
        assertEquals("ks_ingress", e.program());
        assertTrue(e.getMessage().startsWith("endpoint 9: object ks_gate: program ks_ingress: rejected by the verifier: "),
                e.getMessage());
        assertTrue(e.log().stream().anyMatch(l -> l.startsWith("invalid access to packet")), e.log().toString());
        assertTrue(e.getMessage().contains("invalid access to packet"), "the message shows the log's tail");
        assertUntouched(loader, attached, running, stateBefore);
        assertEquals(20, lab.udpDelivered(20), "DROP=1 never took effect: the old program still passes traffic");
    }

    @Test
    void pinnedMapKeepsItsEntriesAcrossSwaps() throws Exception {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(AttachMode.AUTO);
        AttachedEndpoint attached = attachGate(loader);
        Path pin = lab.pinRoot.resolve("endpoints/9/ks_counters");
        assertEquals(pin, attached.mapPins().get("ks_counters"));
        int mapId;
        try (BpfMap counters = attached.openMap("ks_counters")) {
            counters.update(SLOT_3, TestTemplates.u64(4242));
            mapId = counters.id();
        }
        assertEquals(5, lab.udpDelivered(5));

        loader.swap(attached, TestTemplates.gateObject(), lab.endpoint(ID, TestTemplates.gateConstants(0, 1, ID)));
        assertEquals(5, lab.udpDelivered(5));
        try (BpfMap counters = attached.openMap("ks_counters")) {
            assertEquals(mapId, counters.id(), "the same kernel map");
            assertEquals(4242, TestTemplates.u64(counters.lookup(SLOT_3).orElseThrow()), "written before the swap");
            assertTrue(TestTemplates.u64(counters.lookup(TestTemplates.u32(0)).orElseThrow()) >= 5, "slot 0 counted");
            assertTrue(TestTemplates.u64(counters.lookup(TestTemplates.u32(1)).orElseThrow()) >= 5, "slot 1 counted");
            assertEquals(mapId, attached.specialized().orElseThrow().map("ks_counters").id(),
                    "the new object reused the pinned map");
        }
    }

    @Test
    void redefinedPinnedMapIsMigratedAndAnUnrecordedOneRefused() throws Exception {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(AttachMode.LEGACY_TC);
        AttachedEndpoint attached = attachGate(loader);
        Path pin = lab.pinRoot.resolve("endpoints/9/ks_counters");
        try (BpfMap counters = attached.openMap("ks_counters")) {
            counters.update(SLOT_3, TestTemplates.u64(4242));
        }
        Path record = state.resolve("layouts/9/ks_counters.json");
        Files.copy(record, state.resolve("v1-record.json"));
        Files.delete(record); // as a Kiln before layout records left it
        Map<String, Integer> running = attached.programIds();
        String stateBefore = readState(loader);

        TemplateObject v2 = TestTemplates.object(TestTemplates.gate(), "ks_gate_v2.bpf.c");
        EndpointException e = assertThrows(EndpointException.class, () -> loader.swap(attached, v2,
                lab.endpoint(ID, TestTemplates.gateConstants(0, 1, ID))));
        assertEquals("endpoint 9: map ks_counters: the map pinned at " + pin + " is array key 4 value 8 max_entries 4"
                + " flags 0x0, the object defines array key 4 value 8 max_entries 8 flags 0x0; its layout is unknown (no"
                + " layout record at " + record + "), so its entries cannot be migrated field by field. The running"
                + " programs are untouched; remove the pin to start the map empty", e.getMessage());
        assertTrue(e.isUserError());
        assertUntouched(loader, attached, running, stateBefore);

        Files.copy(state.resolve("v1-record.json"), record); // recorded: 4 -> 8 entries migrates
        loader.swap(attached, v2, lab.endpoint(ID, TestTemplates.gateConstants(0, 1, ID)));
        try (BpfMap counters = attached.openMap("ks_counters")) {
            assertEquals(8, counters.definition().maxEntries());
            assertEquals(4242, TestTemplates.u64(counters.lookup(SLOT_3).orElseThrow()), "written before the swap");
        }
    }

    @Test
    void nodeMapIsSharedAndOutlivesEndpoints() throws Exception {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(AttachMode.AUTO);
        AttachedEndpoint first = attachGate(loader);
        lab.ep.ip("link", "add", "ks-ep2", "type", "veth", "peer", "name", "ks-ep3");
        lab.ep.ip("link", "set", "ks-ep2", "up");
        AttachedEndpoint second = lab.closeLater(loader.attach(TestTemplates.gateObject(),
                new Endpoint(10, "ks-ep2", TestTemplates.gateConstants(0, 0, 10), lab.epNs)));
        int nodeMap = first.specialized().orElseThrow().map("ks_node_stats").id();
        assertEquals(nodeMap, second.specialized().orElseThrow().map("ks_node_stats").id(), "one node map");
        assertTrue(first.specialized().orElseThrow().map("ks_counters").id()
                != second.specialized().orElseThrow().map("ks_counters").id(), "one ks_counters per endpoint");

        EndpointException busy = assertThrows(EndpointException.class, loader::removeNodeMaps);
        assertEquals("remove node maps: 2 endpoint(s) still use them ([9, 10]); detach them first", busy.getMessage());
        loader.detach(first);
        loader.detach(second);
        assertEquals(List.of("node/ks_node_stats"), lab.pins());
        loader.removeNodeMaps();
        assertEquals(List.of(), lab.pins());
    }

    @Test
    void declaredProgramMissingFromTheObjectIsNamed() {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(AttachMode.AUTO);
        TemplateDescriptor t = TestTemplates.descriptor(TestTemplates.GATE,
                List.of(new ProgramDecl("ks_ingress", Hook.TC_INGRESS), new ProgramDecl("ks_nope", Hook.TC_EGRESS)));
        BpfException e = assertThrows(BpfException.class, () -> loader.attach(
                TemplateObject.of(t, null, TestTemplates.gateObject().bytes()),
                lab.endpoint(ID, TestTemplates.gateConstants(0, 0, ID))));
        assertEquals("endpoint 9: object ks_gate: no program ks_nope (has: ks_ingress, ks_egress)", e.getMessage());
        assertFalse(Files.exists(loader.stateFile(ID)));
        assertEquals(List.of(), lab.pins().stream().filter(p -> p.startsWith("endpoints")).toList());
    }

    private void assertUntouched(EndpointLoader loader, AttachedEndpoint attached, Map<String, Integer> running,
                                 String stateBefore) {
        assertEquals(running, attached.programIds(), "Kiln still records the old programs");
        for (HookStatus s : attached.status()) {
            assertTrue(s.isIntact(), s.toString());
            assertEquals(running.get(s.attachment().program()), s.runningProgramId(), "the old program is on the hook");
        }
        assertEquals(stateBefore, readState(loader), "the state file is unchanged");
        try (AttachedEndpoint adopted = loader.adopt(ID)) {
            assertEquals(running, adopted.programIds());
            assertTrue(adopted.isIntact());
        }
    }

    private static String readState(EndpointLoader loader) {
        try {
            return Files.readString(loader.stateFile(ID));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
