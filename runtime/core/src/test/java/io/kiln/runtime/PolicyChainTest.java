package io.kiln.runtime;

import io.kiln.bpf.BpfMap;
import io.kiln.lab.UdpFlow;
import io.kiln.template.ConstantDecl;
import io.kiln.template.ConstantType;
import io.kiln.template.Hook;
import io.kiln.template.MapDecl;
import io.kiln.template.MapScope;
import io.kiln.template.ProgramDecl;
import io.kiln.template.TemplateDescriptor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Chained templates run before the dataplane on the same hook, in the stated order, on tcx
 * (BPF_F_BEFORE) and on legacy tc (lower priorities): a guard's drop is final, its -1 hands the
 * packet on, and the dataplane still enforces what it enforces.
 */
class PolicyChainTest {
    private static final int ID = 9;
    private EndpointLab lab;

    @AfterEach
    void tearDown() {
        if (lab != null) {
            lab.close();
        }
    }

    static TemplateDescriptor guard(String name) {
        Path root = TestTemplates.resources();
        return new TemplateDescriptor(name, root, root.resolve(name + ".template.yaml"), root.resolve("ks_guard.bpf.c"),
                List.of(root), List.of(new ProgramDecl("kg_ingress", Hook.TC_INGRESS)), List.of(),
                List.of(new ConstantDecl("DROP", ConstantType.U32, "drop UDP"),
                        new ConstantDecl("SLOT", ConstantType.U32, "counter slot")),
                List.of(new MapDecl("kg_seen", MapScope.ENDPOINT, true)));
    }

    private static PolicyChain.Member member(TemplateObject o, int drop, int slot) {
        return new PolicyChain.Member(o, Map.of("DROP", TestTemplates.u32(drop), "SLOT", TestTemplates.u32(slot)));
    }

    /** The UDP datagrams a chained guard at {@code position} counted in {@code slot}. */
    private long seen(PolicyChain chain, int position, int slot) {
        Path pin = chain.loaderAt(position, Attachment.Kind.TCX_LINK).pins().endpointMap(ID, "kg_seen");
        try (BpfMap m = BpfMap.openPinned(pin)) {
            return TestTemplates.u64(m.lookup(TestTemplates.u32(slot)).orElseThrow());
        }
    }

    private static long dataplaneSeen(AttachedEndpoint dp) {
        try (BpfMap m = dp.openMap("ks_counters")) {
            return TestTemplates.u64(m.lookup(TestTemplates.u32(0)).orElseThrow());
        }
    }

    @ParameterizedTest
    @EnumSource(value = AttachMode.class, names = {"TCX", "LEGACY_TC"})
    void guardsRunBeforeTheDataplaneInOrder(AttachMode mode, @TempDir Path state) {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(mode);
        PolicyChain chain = new PolicyChain(loader);
        TemplateObject a = TestTemplates.object(guard("guard_a"), "ks_guard.bpf.c");
        TemplateObject b = TestTemplates.object(guard("guard_b"), "ks_guard.bpf.c");
        AttachedEndpoint dp = lab.closeLater(loader.attach(TestTemplates.gateObject(),
                lab.endpoint(ID, TestTemplates.gateConstants(0, 0, ID))));

        chain.apply(dp, List.of(member(a, 0, 0), member(b, 0, 0))).forEach(AttachedEndpoint::close);
        assertEquals(10, lab.udpDelivered(10), "both guards pass on (-1), the dataplane passes");
        assertEquals(10, seen(chain, 0, 0));
        assertEquals(10, seen(chain, 1, 0));
        assertEquals(10, dataplaneSeen(dp), "the dataplane saw what the guards passed on");
        if (mode == AttachMode.LEGACY_TC) {
            String filters = lab.tcFilters("ingress");
            assertTrue(filters.indexOf("pref 1 ") < filters.indexOf("pref 2 ")
                    && filters.indexOf("pref 2 ") < filters.indexOf("pref 16 "), filters);
        }

        // the second guard drops: the first still sees every datagram, the dataplane none
        chain.apply(dp, List.of(member(a, 0, 0), member(b, 1, 0))).forEach(AttachedEndpoint::close);
        assertEquals(0, lab.udpDelivered(10));
        assertEquals(20, seen(chain, 0, 0));
        assertEquals(20, seen(chain, 1, 0));
        assertEquals(10, dataplaneSeen(dp), "a guard's drop is final: the dataplane never saw them");

        // the first guard drops: the second sees nothing (the order holds)
        chain.apply(dp, List.of(member(a, 1, 0), member(b, 0, 0))).forEach(AttachedEndpoint::close);
        assertEquals(0, lab.udpDelivered(10));
        assertEquals(30, seen(chain, 0, 0));
        assertEquals(20, seen(chain, 1, 0), "the second guard runs after the first");

        // guards pass, the dataplane drops: it still enforces behind the chain
        chain.apply(dp, List.of(member(a, 0, 0), member(b, 0, 0))).forEach(AttachedEndpoint::close);
        loader.swap(dp, TestTemplates.gateObject(), lab.endpoint(ID, TestTemplates.gateConstants(1, 0, ID)));
        assertEquals(0, lab.udpDelivered(10));
        assertEquals(40, seen(chain, 0, 0));
        assertEquals(30, seen(chain, 1, 0));
        assertEquals(20, dataplaneSeen(dp), "the dataplane saw them and dropped them");
        assertTrue(dp.isIntact());

        chain.detach(ID);
        loader.detach(dp);
        assertEquals(List.of(), lab.pins().stream().filter(p -> !p.startsWith("node/")
                && !p.matches("chain/\\d/node/.*")).toList(), "no pin of the endpoint or its chain is left");
    }

    @ParameterizedTest
    @EnumSource(value = AttachMode.class, names = {"TCX", "LEGACY_TC"})
    void aChainedProgramTheVerifierRefusesLeavesTheRestEnforcing(AttachMode mode, @TempDir Path state) {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(mode);
        PolicyChain chain = new PolicyChain(loader);
        TemplateObject a = TestTemplates.object(guard("guard_a"), "ks_guard.bpf.c");
        AttachedEndpoint dp = lab.closeLater(loader.attach(TestTemplates.gateObject(),
                lab.endpoint(ID, TestTemplates.gateConstants(1, 0, ID))));
        // position 1: ks_gate with UNSAFE=1, whose live unchecked read the verifier refuses
        PolicyChain.Member refused = new PolicyChain.Member(TestTemplates.gateObject(),
                Map.of("DROP", TestTemplates.u32(0), "SLOT", TestTemplates.u32(0), "ENDPOINT_ID", TestTemplates.u16(ID),
                        "UNSAFE", TestTemplates.u32(1)));
        RuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
                () -> chain.apply(dp, List.of(member(a, 0, 0), refused)));
        assertTrue(e.getMessage().startsWith("endpoint " + ID + ": chain[1] (template ks_gate): "), e.getMessage());
        assertTrue(e instanceof io.kiln.bpf.VerifierException, e.toString());
        assertEquals(List.of("guard_a"), chain.adopt(ID).stream().map(x -> {
            x.close();
            return x.template();
        }).toList(), "the other position is attached");
        assertEquals(0, lab.udpDelivered(10), "the dataplane still enforces (DROP=1)");
        assertEquals(10, seen(chain, 0, 0), "behind the guard that passed them on");
        assertEquals(10, dataplaneSeen(dp));
        assertTrue(dp.isIntact());
        chain.detach(ID);
        loader.detach(dp);
    }

    @ParameterizedTest
    @EnumSource(value = AttachMode.class, names = {"TCX", "LEGACY_TC"})
    void swapUnderTrafficAdoptionAndRemoval(AttachMode mode, @TempDir Path state) throws Exception {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(mode);
        TemplateObject a = TestTemplates.object(guard("guard_a"), "ks_guard.bpf.c");
        TemplateObject b = TestTemplates.object(guard("guard_b"), "ks_guard.bpf.c");
        AttachedEndpoint dp = lab.closeLater(loader.attach(TestTemplates.gateObject(),
                lab.endpoint(ID, TestTemplates.gateConstants(0, 0, ID))));
        new PolicyChain(loader).apply(dp, List.of(member(a, 0, 0), member(b, 0, 0))).forEach(AttachedEndpoint::close);

        // a new process adopts the chain; applying the same members changes nothing
        PolicyChain again = new PolicyChain(lab.loader(mode));
        List<AttachedEndpoint> adopted = again.adopt(ID);
        assertEquals(List.of("guard_a", "guard_b"), adopted.stream().map(AttachedEndpoint::template).toList());
        assertTrue(adopted.stream().allMatch(AttachedEndpoint::isIntact));
        int guardA = adopted.get(0).programIds().get("kg_ingress");
        adopted.forEach(AttachedEndpoint::close);
        List<AttachedEndpoint> same = again.apply(dp, List.of(member(a, 0, 0), member(b, 0, 0)));
        assertEquals(guardA, same.get(0).programIds().get("kg_ingress"), "nothing changed, nothing swapped");
        same.forEach(AttachedEndpoint::close);

        // swap the first guard back and forth between two slots while datagrams flow: none is lost
        int n = 3_000;
        try (UdpFlow flow = UdpFlow.start(lab.peerNs, lab.epNs, new InetSocketAddress(EndpointLab.EP_ADDR,
                EndpointLab.port()), 2_000, n, Duration.ofSeconds(10))) {
            int swaps = 0;
            while (flow.isSending() && swaps < 100) {
                again.apply(dp, List.of(member(a, 0, ++swaps % 2), member(b, 0, 0))).forEach(AttachedEndpoint::close);
                EndpointLab.sleep(5);
            }
            assertTrue(flow.awaitReceived(n, Duration.ofSeconds(10)), "every datagram arrived: " + flow.receivedSoFar());
            UdpFlow.Result r = flow.stop();
            assertEquals(n, r.received(), r.toString());
            assertTrue(swaps >= 10, "swapped " + swaps + " times under traffic");
            System.out.println("chain swap under traffic (" + mode + "): " + swaps + " swaps of the first guard; " + r);
        }
        assertEquals(n, seen(again, 0, 0) + seen(again, 0, 1), "each datagram crossed the first guard, old or new");
        List<AttachedEndpoint> now = again.adopt(ID);
        assertNotEquals(guardA, now.get(0).programIds().get("kg_ingress"));
        now.forEach(AttachedEndpoint::close);

        // dropped from the spec: the second guard goes, its pins too; the first stays
        again.apply(dp, List.of(member(a, 1, 0))).forEach(AttachedEndpoint::close);
        assertEquals(List.of("guard_a"), again.adopt(ID).stream().map(x -> {
            x.close();
            return x.template();
        }).toList());
        assertTrue(lab.pins().stream().noneMatch(p -> p.startsWith("chain/1/endpoints/")), lab.pins().toString());
        assertEquals(0, lab.udpDelivered(5), "the remaining guard drops");
        again.apply(dp, List.of()).forEach(AttachedEndpoint::close);
        assertEquals(5, lab.udpDelivered(5), "no chain: the dataplane alone");
        assertTrue(lab.pins().stream().noneMatch(p -> p.contains("/endpoints/")
                && p.startsWith("chain/")), lab.pins().toString());
        if (mode == AttachMode.LEGACY_TC) {
            String filters = lab.tcFilters("ingress");
            assertTrue(!filters.contains("pref 1 ") && filters.contains("pref 16 "), filters);
        }
    }
}
