package io.kiln.runtime;

import io.kiln.bpf.Features;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link EndpointLoader#moveTcHooks}: an endpoint attached with tcx links is moved to legacy tc by a
 * loader of that mode (same programs, a tc filter per hook, no link pin left; the clsact qdisc is there
 * from the tcx attach, so the move does not create it under traffic), then back (no filter left; the
 * qdisc stays, empty, until detach removes it); traffic passes at each stage; a loader of the endpoint's
 * own kind does nothing.
 */
class MoveTcHooksTest {
    private static final int ID = 36;

    @TempDir
    Path state;
    private EndpointLab lab;

    @AfterEach
    void tearDown() {
        if (lab != null) {
            lab.close();
        }
    }

    private static Set<Attachment.Kind> kinds(AttachedEndpoint a) {
        return a.attachments().stream().map(Attachment::kind).collect(Collectors.toSet());
    }

    @Test
    void tcxToLegacyTcAndBackKeepsTheProgramsAndLeavesOneKind() {
        lab = EndpointLab.create(state);
        Assumptions.assumeTrue(Features.tcxLinks(), "needs tcx links (Linux 6.6+)");
        EndpointLoader tcx = lab.loader(AttachMode.TCX);
        EndpointLoader tc = lab.loader(AttachMode.LEGACY_TC);
        Endpoint endpoint = lab.endpoint(ID, TestTemplates.gateConstants(0, 0, ID));
        Map<String, Integer> ids;
        try (AttachedEndpoint a = tcx.attach(TestTemplates.gateObject(), endpoint)) {
            ids = a.programIds();
            assertFalse(tcx.moveTcHooks(a), "already tcx: nothing to do");
        }
        assertTrue(lab.qdiscs().contains("clsact"), "made by the tcx attach, before any move: " + lab.qdiscs());
        assertEquals(10, lab.udpDelivered(10));

        try (AttachedEndpoint a = tc.adopt(ID)) {
            assertTrue(tc.moveTcHooks(a));
            assertEquals(Set.of(Attachment.Kind.TC_FILTER), kinds(a));
            assertEquals(ids, a.programIds(), "the same programs");
            assertTrue(a.isIntact());
        }
        assertTrue(lab.tcFilters("ingress").contains("bpf"), lab.tcFilters("ingress"));
        assertTrue(lab.tcFilters("egress").contains("bpf"), lab.tcFilters("egress"));
        assertFalse(lab.pins().stream().anyMatch(p -> p.contains("/links/")), "no link pin left: " + lab.pins());
        assertEquals(10, lab.udpDelivered(10), "traffic through the tc filters");
        try (AttachedEndpoint a = tc.adopt(ID)) { // what the state file says now
            assertEquals(Set.of(Attachment.Kind.TC_FILTER), kinds(a));
            assertTrue(a.isIntact());
        }

        try (AttachedEndpoint a = tcx.adopt(ID)) {
            assertTrue(tcx.moveTcHooks(a));
            assertEquals(Set.of(Attachment.Kind.TCX_LINK), kinds(a));
            assertEquals(ids, a.programIds());
            assertTrue(a.isIntact());
            // the move back takes the filters off; the clsact qdisc the attach made stays, empty, until detach
            assertFalse(lab.tcFilters("ingress").contains("bpf"), lab.tcFilters("ingress"));
            assertFalse(lab.tcFilters("egress").contains("bpf"), lab.tcFilters("egress"));
            assertTrue(lab.qdiscs().contains("clsact"), lab.qdiscs());
            assertEquals(10, lab.udpDelivered(10), "traffic through the tcx links");
            tcx.swap(a, TestTemplates.gateObject(), lab.endpoint(ID, TestTemplates.gateConstants(1, 0, ID)));
            assertEquals(0, lab.udpDelivered(5), "a swap after the move replaces the moved hooks");
            tcx.detach(a);
        }
        assertFalse(lab.qdiscs().contains("clsact"), "detach removes the qdisc Kiln made: " + lab.qdiscs());
        tcx.removeNodeMaps();
        assertEquals(List.of(), lab.pins());
        assertFalse(Files.exists(tcx.stateFile(ID)));
        lab.leaks.assertNoLeaks();
    }
}
