package io.kiln.runtime;

import io.kiln.host.Interfaces;

import io.kiln.bpf.BpfLink;
import io.kiln.bpf.BpfObject;
import io.kiln.bpf.BpfProgram;
import io.kiln.bpf.Direction;
import io.kiln.bpf.ProgramMismatchException;
import io.kiln.bpf.TcFilter;
import io.kiln.template.ConstantDecl;
import io.kiln.template.ConstantType;
import io.kiln.template.Hook;
import io.kiln.template.ProgramDecl;
import io.kiln.template.TemplateDescriptor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Attach, swap, resync and detach on a veth in namespaces the test creates. */
class EndpointLoaderTest {
    private static final int ID = 21;

    @TempDir
    Path state;
    private EndpointLab lab;

    @AfterEach
    void tearDown() {
        if (lab != null) {
            lab.close();
        }
    }

    private Endpoint endpoint(int drop, int slot) {
        return lab.endpoint(ID, TestTemplates.gateConstants(drop, slot, ID));
    }

    @ParameterizedTest
    @EnumSource(value = AttachMode.class, names = {"TCX", "LEGACY_TC"})
    void attachPinsRecordsAndDetachRemovesEverything(AttachMode mode) throws Exception {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(mode);
        AttachedEndpoint attached = lab.closeLater(loader.attach(TestTemplates.gateObject(), endpoint(0, 0)));

        List<Attachment> a = attached.attachments();
        assertEquals(List.of("ks_ingress", "ks_egress"), a.stream().map(Attachment::program).toList());
        assertEquals(List.of(Hook.TC_INGRESS, Hook.TC_EGRESS), a.stream().map(Attachment::hook).toList());
        if (mode == AttachMode.TCX) {
            assertEquals(List.of("endpoints/21/ks_counters", "endpoints/21/links/ks_egress",
                    "endpoints/21/links/ks_ingress", "node/ks_node_stats"), lab.pins());
            // tcx needs no qdisc, but it is made now so that a later move to legacy tc does not make it under traffic
            assertTrue(lab.qdiscs().contains("clsact"), "made at attach for a move to tc: " + lab.qdiscs());
            assertTrue(Files.readString(loader.stateFile(ID)).contains("\"createdClsact\" : true"), "recorded as Kiln's");
        } else {
            assertEquals(List.of("endpoints/21/ks_counters", "node/ks_node_stats"), lab.pins());
            assertEquals(EndpointLoader.DEFAULT_TC_HANDLE, a.get(0).tcHandle());
            assertEquals(EndpointLoader.DEFAULT_TC_HANDLE + 1, a.get(1).tcHandle());
            assertTrue(lab.tcFilters("ingress").contains("id " + a.get(0).programId()), lab.tcFilters("ingress"));
            assertTrue(lab.tcFilters("egress").contains("id " + a.get(1).programId()), lab.tcFilters("egress"));
            assertTrue(lab.qdiscs().contains("clsact"), lab.qdiscs());
        }
        String json = Files.readString(loader.stateFile(ID));
        assertTrue(json.contains("\"variantKey\" : \"" + attached.variantKey().orElseThrow() + "\""), json);
        assertTrue(json.contains("\"constantsDigest\" : \"" + endpoint(0, 0).constantsDigest() + "\""), json);
        assertTrue(json.contains("\"namespace\" : \"/run/netns/" + lab.ep.name() + "\""), json);
        assertEquals(10, lab.udpDelivered(10));

        loader.detach(attached);
        assertEquals(List.of("node/ks_node_stats"), lab.pins());
        assertFalse(Files.exists(loader.stateFile(ID)));
        assertFalse(lab.tcFilters("ingress").contains("bpf"), lab.tcFilters("ingress"));
        assertFalse(lab.tcFilters("egress").contains("bpf"), lab.tcFilters("egress"));
        assertFalse(lab.qdiscs().contains("clsact"), "Kiln created the clsact qdisc, so it removed it: " + lab.qdiscs());
        assertEquals(List.of(), lab.epNs.call(() -> TcFilter.list(lab.ep.ifindex(EndpointLab.EP_IF), Direction.INGRESS)));
    }

    @ParameterizedTest
    @EnumSource(value = AttachMode.class, names = {"TCX", "LEGACY_TC"})
    void foreignReplacementIsNeverClobberedAndResyncRecovers(AttachMode mode) {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(mode);
        AttachedEndpoint attached = lab.closeLater(loader.attach(TestTemplates.gateObject(), endpoint(0, 0)));
        int ours = attached.programIds().get("ks_ingress");
        Attachment ingress = attached.attachments().get(0);
        int ifindex = lab.ep.ifindex(EndpointLab.EP_IF);

        try (BpfObject foreign = BpfObject.open(TestTemplates.gateObject().bytes(), "ks_foreign")) {
            foreign.load();
            BpfProgram theirs = foreign.program("ks_ingress");
            lab.epNs.run(() -> {
                if (mode == AttachMode.TCX) {
                    try (BpfLink link = BpfLink.openPinned(ingress.linkPin())) {
                        link.update(theirs);
                    }
                } else {
                    TcFilter.find(ifindex, Direction.INGRESS, ingress.tcHandle(), ingress.tcPriority()).orElseThrow()
                            .replace(theirs);
                }
            });
            assertFalse(attached.isIntact());

            ProgramMismatchException e = assertThrows(ProgramMismatchException.class, () -> loader.swap(attached,
                    TestTemplates.gateObject(), endpoint(1, 0)));
            assertEquals(ours, e.expectedProgramId());
            assertEquals(theirs.id(), e.actualProgramId());
            assertEquals("endpoint 21: " + ingress.describe() + ": the hook runs program " + theirs.id()
                    + ", not the program " + ours + " Kiln attached; something else changed it. Nothing was swapped; "
                    + "EndpointLoader.resync accepts what runs now, then a swap replaces it", e.getMessage());
            assertEquals(theirs.id(), attached.status().get(0).runningProgramId(), "their program was not clobbered");
            assertEquals(ours, attached.programIds().get("ks_ingress"));

            List<HookStatus> found = loader.resync(attached);
            assertEquals(theirs.id(), found.get(0).runningProgramId());
            assertFalse(found.get(0).isIntact());
            assertTrue(found.get(1).isIntact());
            assertTrue(attached.isIntact(), "after resync Kiln expects what runs");
            assertEquals(theirs.id(), attached.programIds().get("ks_ingress"));

            loader.swap(attached, TestTemplates.gateObject(), endpoint(1, 0));
            int now = attached.programIds().get("ks_ingress");
            assertNotEquals(theirs.id(), now);
            assertEquals(now, attached.status().get(0).runningProgramId());
            assertEquals(0, lab.udpDelivered(5), "the swap after resync took effect (DROP=1)");
        }
    }

    /**
     * A process killed between replacing a hook and writing the state file: the next process
     * finds the hook running a program the state file does not name. The swap's pending record
     * says it was Kiln's own, so adoption accepts it; without the record it is foreign.
     */
    @ParameterizedTest
    @EnumSource(value = AttachMode.class, names = {"TCX", "LEGACY_TC"})
    void adoptAcceptsTheSwapAKilledProcessFinishedButNotAForeignOne(AttachMode mode) {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(mode);
        AttachedEndpoint attached = loader.attach(TestTemplates.gateObject(), endpoint(0, 0));
        Attachment ingress = attached.attachments().get(0);
        int ifindex = lab.ep.ifindex(EndpointLab.EP_IF);
        int egressBefore = attached.programIds().get("ks_egress");
        attached.close();

        try (BpfObject next = BpfObject.open(TestTemplates.gateObject().bytes(), "ks_next")) {
            next.setConstant("DROP", new byte[] {1, 0, 0, 0});
            next.load();
            BpfProgram swappedIn = next.program("ks_ingress");
            lab.epNs.run(() -> {
                if (mode == AttachMode.TCX) {
                    try (BpfLink link = BpfLink.openPinned(ingress.linkPin())) {
                        link.update(swappedIn);
                    }
                } else {
                    TcFilter.find(ifindex, Direction.INGRESS, ingress.tcHandle(), ingress.tcPriority()).orElseThrow()
                            .replace(swappedIn);
                }
            });

            AttachedEndpoint foreign = lab.closeLater(loader.adopt(ID));
            assertFalse(foreign.isIntact(), "no pending record: the running program is not Kiln's");
            foreign.close();

            new io.kiln.runtime.internal.StateFile(loader.stateDir(), loader.pins())
                    .writePending(ID, Map.of("ks_ingress", swappedIn.id(), "ks_egress", 999_999));
            AttachedEndpoint adopted = lab.closeLater(loader.adopt(ID));
            assertTrue(adopted.isIntact(), "the pending record names the running program: " + adopted.status());
            assertEquals(swappedIn.id(), adopted.programIds().get("ks_ingress"));
            assertEquals(egressBefore, adopted.programIds().get("ks_egress"),
                    "egress was not swapped yet, so it keeps the recorded program");
            assertFalse(Files.exists(loader.stateDir().resolve(ID + ".pending.json")), "the record is consumed");
            assertEquals(0, lab.udpDelivered(5), "the swapped-in program (DROP=1) runs");

            loader.swap(adopted, TestTemplates.gateObject(), endpoint(0, 0));
            assertTrue(adopted.isIntact());
            assertEquals(5, lab.udpDelivered(5), "a later swap replaces it normally");
            loader.detach(adopted);
        }
    }

    @Test
    void qdiscThatWasThereStays() throws Exception {
        lab = EndpointLab.create(state);
        lab.ep.exec(List.of("tc", "qdisc", "add", "dev", EndpointLab.EP_IF, "clsact")).orThrow();
        EndpointLoader loader = lab.loader(AttachMode.LEGACY_TC);
        AttachedEndpoint attached = loader.attach(TestTemplates.gateObject(), endpoint(0, 0));
        loader.detach(attached);
        assertTrue(lab.qdiscs().contains("clsact"), "not Kiln's to remove: " + lab.qdiscs());
        assertFalse(lab.tcFilters("ingress").contains("bpf"));
    }

    @Test
    void qdiscWithSomeoneElsesFilterStays() throws Exception {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(AttachMode.LEGACY_TC);
        AttachedEndpoint attached = loader.attach(TestTemplates.gateObject(), endpoint(0, 0));
        int ifindex = lab.ep.ifindex(EndpointLab.EP_IF);
        try (BpfObject foreign = BpfObject.open(TestTemplates.gateObject().bytes(), "ks_foreign")) {
            foreign.load();
            TcFilter theirs = lab.epNs.call(() -> foreign.program("ks_ingress").attachTc(ifindex, Direction.INGRESS, 1, 7));
            List<TcFilter.Listed> listed = lab.epNs.call(() -> TcFilter.list(ifindex, Direction.INGRESS));
            assertEquals(List.of(new TcFilter.Listed(Direction.INGRESS, 1, 7, "bpf"),
                    new TcFilter.Listed(Direction.INGRESS, EndpointLoader.DEFAULT_TC_HANDLE,
                            EndpointLoader.DEFAULT_TC_PRIORITY, "bpf")), listed, "by priority");

            loader.detach(attached);
            assertTrue(lab.qdiscs().contains("clsact"), "another filter still uses it: " + lab.qdiscs());
            assertEquals(List.of(new TcFilter.Listed(Direction.INGRESS, 1, 7, "bpf")),
                    lab.epNs.call(() -> TcFilter.list(ifindex, Direction.INGRESS)));
            lab.epNs.run(theirs::detach);
        }
    }

    @Test
    void secondAttachIsRefused() {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(AttachMode.AUTO);
        AttachedEndpoint attached = lab.closeLater(loader.attach(TestTemplates.gateObject(), endpoint(0, 0)));
        EndpointException e = assertThrows(EndpointException.class,
                () -> loader.attach(TestTemplates.gateObject(), endpoint(0, 0)));
        assertEquals("endpoint 21: already attached (state file " + loader.stateFile(ID)
                + "); adopt it to swap its programs, or detach it first", e.getMessage());
        assertTrue(attached.isIntact());
    }

    @Test
    void missingInterfaceIsNamedAndNothingStays() {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(AttachMode.AUTO);
        EndpointException e = assertThrows(EndpointException.class, () -> loader.attach(TestTemplates.gateObject(),
                new Endpoint(ID, "ks-nope", TestTemplates.gateConstants(0, 0, ID), lab.epNs)));
        assertEquals("endpoint 21: no interface ks-nope in network namespace /run/netns/" + lab.ep.name(), e.getMessage());
        assertEquals(List.of(), lab.pins(), "checked before anything was loaded or pinned");
        assertFalse(Files.exists(loader.stateFile(ID)));
    }

    @Test
    void swapAttachesAddedProgramsAndDetachesDroppedOnes() {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(AttachMode.TCX);
        TemplateDescriptor ingressOnly = TestTemplates.descriptor(TestTemplates.GATE,
                List.of(new ProgramDecl("ks_ingress", Hook.TC_INGRESS)));
        byte[] bytes = TestTemplates.gateObject().bytes();
        AttachedEndpoint attached = lab.closeLater(loader.attach(TemplateObject.of(ingressOnly, null, bytes),
                endpoint(0, 0)));
        assertEquals(List.of("ks_ingress"), List.copyOf(attached.programIds().keySet()));

        loader.swap(attached, TestTemplates.gateObject(), endpoint(0, 1));
        assertEquals(List.of("ks_ingress", "ks_egress"), List.copyOf(attached.programIds().keySet()));
        assertTrue(attached.isIntact());
        assertTrue(lab.pins().contains("endpoints/21/links/ks_egress"));

        loader.swap(attached, TemplateObject.of(ingressOnly, null, bytes), endpoint(0, 0));
        assertEquals(List.of("ks_ingress"), List.copyOf(attached.programIds().keySet()));
        assertFalse(lab.pins().contains("endpoints/21/links/ks_egress"));
        assertEquals(10, lab.udpDelivered(10));
    }

    @Test
    void xdpProgramAttachesAndSwapsThroughItsLink() {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(AttachMode.AUTO);
        TemplateDescriptor xdp = new TemplateDescriptor("ks_xdp", TestTemplates.resources(),
                TestTemplates.resources().resolve("ks_xdp.template.yaml"), TestTemplates.resources().resolve("ks_xdp.bpf.c.ftl"),
                List.of(TestTemplates.resources()), List.of(new ProgramDecl("ks_xdp", Hook.XDP)), List.of(),
                List.of(new ConstantDecl("DROP", ConstantType.U32, "")), List.of());
        TemplateObject object = TestTemplates.object(xdp, "ks_xdp.bpf.c");
        AttachedEndpoint attached = lab.closeLater(loader.attach(object,
                lab.endpoint(ID, Map.of("DROP", TestTemplates.u32(0)))));
        assertEquals(Attachment.Kind.XDP_LINK, attached.attachments().get(0).kind());
        String link = lab.ep.ip("link", "show", "dev", EndpointLab.EP_IF).stdout();
        assertTrue(link.contains("prog/xdp id " + attached.programIds().get("ks_xdp")), link);
        assertEquals(10, lab.udpDelivered(10));

        loader.swap(attached, object, lab.endpoint(ID, Map.of("DROP", TestTemplates.u32(1))));
        assertEquals(0, lab.udpDelivered(5));
        loader.detach(attached);
        assertFalse(lab.ep.ip("link", "show", "dev", EndpointLab.EP_IF).stdout().contains("prog/xdp"));
        assertEquals(List.of(), lab.pins());
    }

    @Test
    void detachByIdWithoutStateRemovesLeftOverPins() throws Exception {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(AttachMode.TCX);
        AttachedEndpoint attached = loader.attach(TestTemplates.gateObject(), endpoint(0, 0));
        attached.close();
        Files.delete(loader.stateFile(ID)); // a crash between the pins and the state file
        EndpointException e = assertThrows(EndpointException.class,
                () -> loader.attach(TestTemplates.gateObject(), endpoint(0, 0)));
        assertTrue(e.getMessage().contains("an earlier attach did not finish; detach(21) removes them"), e.getMessage());
        loader.detach(ID);
        assertEquals(List.of("node/ks_node_stats"), lab.pins());
        assertEquals(10, lab.udpDelivered(10));
        assertEquals(0, lab.epNs.call(() -> io.kiln.host.Interfaces.ifindex("ks-nope")));
    }

    @ParameterizedTest
    @EnumSource(value = AttachMode.class, names = {"TCX", "LEGACY_TC"})
    void endpointWhoseNamespaceIsGoneDetachesCleanly(AttachMode mode) {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(mode);
        loader.attach(TestTemplates.gateObject(), endpoint(0, 0)).close();
        lab.ep.close(); // the pod went away: its interface, and the hooks on it, with it

        try (AttachedEndpoint adopted = loader.adopt(ID)) {
            assertEquals(0, adopted.ifindex());
            assertEquals(List.of("ks_ingress", "ks_egress"), List.copyOf(adopted.programIds().keySet()));
            loader.detach(adopted);
        }
        assertEquals(List.of("node/ks_node_stats"), lab.pins());
        assertFalse(Files.exists(loader.stateFile(ID)));
    }
}
