package io.kiln.runtime;

import static io.kiln.runtime.TestTemplates.u32;
import static io.kiln.runtime.TestTemplates.u64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.bpf.BpfMap;
import io.kiln.lab.UdpFlow;
import io.kiln.lab.VethPair;
import io.kiln.template.ConstantDecl;
import io.kiln.template.ConstantType;
import io.kiln.template.Hook;
import io.kiln.template.MapDecl;
import io.kiln.template.MapScope;
import io.kiln.template.ProgramDecl;
import io.kiln.template.TemplateDescriptor;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Tier 0 of the test template ks_tier: one loaded program shared by two endpoints, each with its
 * own values and its own counters map; the swap to an endpoint's own program (tier 1) under a
 * numbered UDP flow; removal; refusals.
 */
class Tier0Test {
    private static final String EP2_IF = "ks-ep2";
    private static final String PEER2_IF = "ks-ep3";
    private static final String EP2_ADDR = "198.18.1.1";
    private static final String PEER2_ADDR = "198.18.1.2";

    @TempDir
    Path state;
    private EndpointLab lab;

    @AfterEach
    void tearDown() {
        if (lab != null) {
            lab.close();
        }
    }

    static TemplateDescriptor tier() {
        Path root = TestTemplates.resources();
        return new TemplateDescriptor("ks_tier", root, root.resolve("ks_tier.template.yaml"),
                root.resolve("ks_tier.bpf.c.ftl"), List.of(root),
                List.of(new ProgramDecl("ks_ingress", Hook.TC_INGRESS), new ProgramDecl("ks_egress", Hook.TC_EGRESS)),
                List.of(),
                List.of(new ConstantDecl("DROP", ConstantType.U32, "drop IPv4 from the peer"),
                        new ConstantDecl("SLOT", ConstantType.U32, "counter slot"),
                        new ConstantDecl("ENDPOINT_ID", ConstantType.U16, "endpoint id"),
                        new ConstantDecl("UNSAFE", ConstantType.U32, "unused")),
                List.of(new MapDecl("ks_counters", MapScope.ENDPOINT, true),
                        new MapDecl("ks_node_stats", MapScope.NODE, true),
                        new MapDecl("endpoint_configs", MapScope.NODE, true),
                        new MapDecl("ks_counters_maps", MapScope.NODE, true)));
    }

    private static Map<String, byte[]> constants(int drop, int slot, int id) {
        return TestTemplates.gateConstants(drop, slot, id);
    }

    private long counter(EndpointLoader loader, int id, int slot) {
        try (BpfMap m = BpfMap.openPinned(loader.pins().endpointMap(id, "ks_counters"))) {
            return u64(m.lookup(u32(slot)).orElseThrow());
        }
    }

    private long udp(String from, String to, String address, int n) {
        io.kiln.host.Netns sender = from.equals("peer") ? lab.peerNs : lab.epNs;
        io.kiln.host.Netns receiver = to.equals("peer") ? lab.peerNs : lab.epNs;
        try (UdpFlow flow = UdpFlow.start(sender, receiver, new InetSocketAddress(address, EndpointLab.port()), 2_000, n,
                Duration.ofSeconds(10))) {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (flow.isSending() && System.nanoTime() < deadline) {
                EndpointLab.sleep(5);
            }
            return flow.stop().received();
        }
    }

    @Test
    void twoEndpointsShareOneLoadedProgramEachWithItsOwnValuesAndMaps() {
        lab = EndpointLab.create(state);
        VethPair second = VethPair.create(lab.ep, EP2_IF, lab.peer, PEER2_IF);
        second.a().addAddress(EP2_ADDR + "/24");
        second.b().addAddress(PEER2_ADDR + "/24");
        EndpointLoader loader = lab.loader(AttachMode.TCX);
        Tier0 tier0 = lab.closeLater(Tier0.load(loader, TestTemplates.object(tier(), "ks_tier0.bpf.c")));
        assertEquals(List.of("ks_counters"), tier0.innerMaps());

        AttachedEndpoint one = lab.closeLater(tier0.attach(lab.endpoint(1, constants(0, 2, 1))));
        AttachedEndpoint two = lab.closeLater(tier0.attach(new Endpoint(2, EP2_IF, constants(1, 3, 2), lab.epNs)));
        assertEquals(tier0.programIds(), one.programIds(), "endpoint 1 runs tier 0's programs");
        assertEquals(tier0.programIds(), two.programIds(), "endpoint 2 runs the same loaded programs");
        assertTrue(one.isIntact() && two.isIntact());

        assertEquals(20, udp("peer", "ep", EndpointLab.EP_ADDR, 20), "endpoint 1 (DROP 0) receives");
        assertEquals(0, udp("peer", "ep", EP2_ADDR, 20), "endpoint 2 (DROP 1) receives nothing");
        assertEquals(20, counter(loader, 1, 2), "endpoint 1 counts in its own map, slot 2");
        assertEquals(0, counter(loader, 1, 3));
        assertEquals(20, counter(loader, 2, 3), "endpoint 2 counts in its own map, slot 3");
        assertEquals(0, counter(loader, 2, 2));
        assertEquals(Optional.of(lab.ep.ifindex(EndpointLab.EP_IF)), tier0.ifindexOf(1));

        // new values for endpoint 2: a map write, no load
        tier0.register(new Endpoint(2, EP2_IF, constants(0, 3, 2), lab.epNs));
        assertEquals(20, udp("peer", "ep", EP2_ADDR, 20), "endpoint 2 receives once its entry says DROP 0");

        tier0.detach(two);
        assertFalse(tier0.isRegistered(2));
        assertFalse(Files.exists(loader.pins().endpointDir(2)), "endpoint 2's pins are gone");
        assertEquals(20, udp("peer", "ep", EndpointLab.EP_ADDR, 20), "endpoint 1 is untouched");

        // an interface tier 0 does not know is dropped, whatever runs on it
        tier0.remove(1);
        assertEquals(0, udp("peer", "ep", EndpointLab.EP_ADDR, 20), "unregistered: tier 0 drops");
        tier0.detach(one);
    }

    @ParameterizedTest
    @EnumSource(value = AttachMode.class, names = {"TCX", "LEGACY_TC"})
    void swapToTier1KeepsTheEndpointsMapsAndLosesNoDatagram(AttachMode mode) {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(mode);
        Tier0 tier0 = lab.closeLater(Tier0.load(loader, TestTemplates.object(tier(), "ks_tier0.bpf.c")));
        Endpoint endpoint = lab.endpoint(7, constants(0, 1, 7));
        AttachedEndpoint attached = lab.closeLater(tier0.attach(endpoint));
        int innerId;
        try (BpfMap counters = BpfMap.openPinned(loader.pins().endpointMap(7, "ks_counters"))) {
            innerId = counters.id();
        }

        UdpFlow.Result result;
        try (UdpFlow flow = lab.closeLater(UdpFlow.start(lab.peerNs, lab.epNs,
                new InetSocketAddress(EndpointLab.EP_ADDR, EndpointLab.port()), 20_000, 2_000_000L, Duration.ofSeconds(30)))) {
            assertTrue(flow.awaitReceived(2_000, Duration.ofSeconds(10)), "traffic flows on tier 0");
            loader.swap(attached, TestTemplates.object(tier(), "ks_tier1.bpf.c"), endpoint);
            long after = flow.receivedSoFar();
            assertTrue(flow.awaitReceived(after + 2_000, Duration.ofSeconds(10)), "traffic flows on tier 1");
            result = flow.stop();
        }
        System.out.println("tier 0 -> tier 1 (" + mode + "): " + result);
        assertEquals(0, result.missing(), "no datagram lost across the swap: " + result);
        assertEquals(0, result.duplicated(), "no datagram duplicated: " + result);
        assertNotEquals(tier0.programIds(), attached.programIds(), "the hooks run tier 1 now");
        assertTrue(attached.isIntact());
        SpecializedEndpoint tier1 = attached.specialized().orElseThrow();
        assertEquals(innerId, tier1.map("ks_counters").id(), "tier 1 uses the very map tier 0 counted in");
        assertEquals(result.received(), counter(loader, 7, 1),
                "every datagram counted once, by one tier or the other, in the one map");
        tier0.detach(attached);
    }

    @Test
    void registrationNeedsTheInterfaceAndOneNamespaceForAll() {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(AttachMode.TCX);
        Tier0 tier0 = lab.closeLater(Tier0.load(loader, TestTemplates.object(tier(), "ks_tier0.bpf.c")));
        EndpointException missing = assertThrows(EndpointException.class,
                () -> tier0.register(new Endpoint(3, "ks-none", constants(0, 0, 3), lab.epNs)));
        assertTrue(missing.getMessage().contains("no interface ks-none"), missing.getMessage());
        assertFalse(tier0.isRegistered(3));
        tier0.register(lab.endpoint(1, constants(0, 0, 1)));
        EndpointException elsewhere = assertThrows(EndpointException.class,
                () -> tier0.register(new Endpoint(2, EndpointLab.PEER_IF, constants(0, 0, 2), lab.peerNs)));
        assertTrue(elsewhere.getMessage().contains("per namespace"), elsewhere.getMessage());
        EndpointException wrongSize = assertThrows(EndpointException.class,
                () -> tier0.register(lab.endpoint(1, Map.of("DROP", new byte[2]))));
        assertTrue(wrongSize.getMessage().contains("DROP"), wrongSize.getMessage());
        tier0.remove(1);
        tier0.remove(1); // nothing left to remove is fine
        loader.detach(1);
    }

    @Test
    void anObjectWithoutTheNodeMapsIsRefused() {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(AttachMode.TCX);
        EndpointException e = assertThrows(EndpointException.class,
                () -> Tier0.load(loader, TestTemplates.gateObject()));
        assertTrue(e.getMessage().contains("endpoint_configs"), e.getMessage());
    }
}
