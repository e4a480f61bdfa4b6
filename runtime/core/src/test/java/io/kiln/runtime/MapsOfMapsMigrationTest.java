package io.kiln.runtime;

import static io.kiln.runtime.TestTemplates.u32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.bpf.BpfMap;
import io.kiln.lab.UdpFlow;
import io.kiln.lab.VethPair;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A build change of the node map of maps {@code ks_counters_maps} (test template ks_tier) while
 * endpoints run on tier 0 and traffic flows: its capacity (an endpointsSize change: 64 -> 128, and a
 * shrink to 2 below the endpoints it holds) and its inner map's value (8 -> 16 bytes: a field added).
 * Endpoint 1 receives (DROP 0) under a numbered UDP flow, endpoint 2 drops everything (DROP 1); both
 * start on the old variant's tier 0, endpoint 3 comes later on the new variant's tier 0.
 */
class MapsOfMapsMigrationTest {
    private static final String OUTER = "ks_counters_maps";
    private static final String EP2_IF = "ks-ep2";
    private static final String PEER2_IF = "ks-ep3";
    private static final String EP2_ADDR = "198.18.1.1";
    private static final String PEER2_ADDR = "198.18.1.2";
    private static final String EP3_IF = "ks-ep4";
    private static final String PEER3_IF = "ks-ep5";
    private static final String EP3_ADDR = "198.18.2.1";
    private static final String PEER3_ADDR = "198.18.2.2";

    @TempDir
    Path state;
    private EndpointLab lab;

    @AfterEach
    void tearDown() {
        if (lab != null) {
            lab.close();
        }
    }

    private static TemplateObject tier(String file) {
        return TestTemplates.object(Tier0Test.tier(), file);
    }

    private void addPairs() {
        VethPair second = VethPair.create(lab.ep, EP2_IF, lab.peer, PEER2_IF);
        second.a().addAddress(EP2_ADDR + "/24");
        second.b().addAddress(PEER2_ADDR + "/24");
        VethPair third = VethPair.create(lab.ep, EP3_IF, lab.peer, PEER3_IF);
        third.a().addAddress(EP3_ADDR + "/24");
        third.b().addAddress(PEER3_ADDR + "/24");
    }

    private long udp(String address, int n) {
        try (UdpFlow flow = UdpFlow.start(lab.peerNs, lab.epNs, new InetSocketAddress(address, EndpointLab.port()), 2_000,
                n, Duration.ofSeconds(10))) {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (flow.isSending() && System.nanoTime() < deadline) {
                EndpointLab.sleep(5);
            }
            return flow.stop().received();
        }
    }

    private long count(EndpointLoader loader, int id, int slot) {
        try (BpfMap m = BpfMap.openPinned(loader.pins().endpointMap(id, "ks_counters"))) {
            return ByteBuffer.wrap(m.lookup(u32(slot)).orElseThrow()).order(ByteOrder.nativeOrder()).getLong(0);
        }
    }

    private long bytes(EndpointLoader loader, int id, int slot) {
        try (BpfMap m = BpfMap.openPinned(loader.pins().endpointMap(id, "ks_counters"))) {
            byte[] v = m.lookup(u32(slot)).orElseThrow();
            assertEquals(16, v.length, "the migrated counter has the byte count");
            return ByteBuffer.wrap(v).order(ByteOrder.nativeOrder()).getLong(8);
        }
    }

    private static Endpoint ep(EndpointLab lab, int id, String ifname, int drop, int slot) {
        return new Endpoint(id, ifname, TestTemplates.gateConstants(drop, slot, id), lab.epNs);
    }

    private BpfMap outer(EndpointLoader loader) {
        return BpfMap.openPinned(loader.pins().nodeMap(OUTER));
    }

    private static int innerId(BpfMap outer, int id) {
        return outer.innerMapId(u32(id)).orElse(0);
    }

    @Test
    void endpointsSizeGrowsUnderTrafficAndShrinkBelowTheEndpointsIsRefused() {
        lab = EndpointLab.create(state);
        addPairs();
        EndpointLoader loader = lab.loader(AttachMode.TCX);
        Tier0 old0 = lab.closeLater(Tier0.load(loader, tier("ks_tier0.bpf.c")));
        Endpoint e1 = ep(lab, 1, EndpointLab.EP_IF, 0, 2);
        Endpoint e2 = ep(lab, 2, EP2_IF, 1, 3);
        AttachedEndpoint one = lab.closeLater(old0.attach(e1));
        AttachedEndpoint two = lab.closeLater(old0.attach(e2));
        int oldOuterId;
        int inner2;
        try (BpfMap o = outer(loader)) {
            oldOuterId = o.id();
            inner2 = innerId(o, 2);
            assertEquals(64, o.definition().maxEntries());
        }
        Map<String, Integer> oldTier0 = old0.programIds();

        UdpFlow.Result result;
        Tier0 new0;
        try (UdpFlow flow = lab.closeLater(UdpFlow.start(lab.peerNs, lab.epNs,
                new InetSocketAddress(EndpointLab.EP_ADDR, EndpointLab.port()), 5_000, 2_000_000L, Duration.ofSeconds(60)))) {
            assertTrue(flow.awaitReceived(1_000, Duration.ofSeconds(10)), "traffic flows on tier 0");
            // endpoint 1 moves to tier 1 of the variant with 128 endpoints: its load makes the new map of maps
            loader.swap(one, tier("ks_tier1_wide.bpf.c"), e1);
            long after = flow.receivedSoFar();
            assertTrue(flow.awaitReceived(after + 1_000, Duration.ofSeconds(10)), "traffic flows on tier 1");
            // a new endpoint on the new variant's tier 0
            new0 = lab.closeLater(Tier0.load(loader, tier("ks_tier0_wide.bpf.c")));
            AttachedEndpoint three = lab.closeLater(new0.attach(ep(lab, 3, EP3_IF, 0, 1)));
            assertEquals(new0.programIds(), three.programIds());
            assertNotEquals(oldTier0, new0.programIds());
            after = flow.receivedSoFar();
            assertTrue(flow.awaitReceived(after + 1_000, Duration.ofSeconds(10)), "traffic flows after");
            result = flow.stop();
        }
        System.out.println("endpointsSize 64 -> 128 under traffic: " + result);
        assertEquals(0, result.missing(), "no datagram lost: " + result);
        assertEquals(0, result.duplicated(), "no datagram duplicated: " + result);
        try (BpfMap o = outer(loader)) {
            assertNotEquals(oldOuterId, o.id(), "a new map of maps is pinned");
            assertEquals(128, o.definition().maxEntries());
            assertEquals(inner2, innerId(o, 2), "endpoint 2's inner map was carried over (same inner definition)");
            assertTrue(innerId(o, 3) != 0, "endpoint 3 registered in the new map of maps");
        }
        // old tier 0 still serves endpoint 2 (drops, counts), the new one endpoint 3 (receives, counts)
        long c2 = count(loader, 2, 3);
        assertEquals(0, udp(EP2_ADDR, 20), "endpoint 2 (old tier 0, DROP 1) still denies");
        assertEquals(c2 + 20, count(loader, 2, 3), "old tier 0 still counts in endpoint 2's map through the old map of maps");
        assertEquals(oldTier0, two.programIds(), "endpoint 2 still runs the old tier 0");
        assertEquals(20, udp(EP3_ADDR, 20), "endpoint 3 (new tier 0, DROP 0) receives");
        assertEquals(20, count(loader, 3, 1), "new tier 0 counts in endpoint 3's map");
        assertEquals(20, udp(EndpointLab.EP_ADDR, 20), "endpoint 1 (tier 1) receives");

        // a shrink below the 3 endpoints the map of maps holds: refused, nothing changes
        Map<String, Integer> before2 = two.programIds();
        EndpointException refused = assertThrows(EndpointException.class,
                () -> loader.swap(two, tier("ks_tier1_narrow.bpf.c"), e2));
        System.out.println("shrink refused: " + refused.getMessage());
        assertTrue(refused.getMessage().contains(OUTER) && refused.getMessage().contains("max_entries 2")
                && refused.getMessage().contains("3 endpoints"), refused.getMessage());
        assertEquals(before2, two.programIds(), "endpoint 2's programs are untouched");
        try (BpfMap o = outer(loader)) {
            assertEquals(128, o.definition().maxEntries(), "the map of maps is untouched");
        }
        assertEquals(0, udp(EP2_ADDR, 20), "endpoint 2 still denies");
        assertEquals(20, udp(EP3_ADDR, 20), "endpoint 3 still receives");

        // endpoint 2 moves too; then the old tier 0 has no endpoint left
        loader.swap(two, tier("ks_tier1_wide.bpf.c"), e2);
        assertEquals(0, udp(EP2_ADDR, 20), "endpoint 2 (tier 1, DROP 1) denies");
        assertEquals(20, udp(EndpointLab.EP_ADDR, 20), "endpoint 1 receives");
        old0.detach(two);
        old0.detach(one);
    }

    @Test
    void innerValueLayoutChangeGivesTheNewTier0ANewMapOfMaps() {
        lab = EndpointLab.create(state);
        addPairs();
        EndpointLoader loader = lab.loader(AttachMode.TCX);
        Tier0 old0 = lab.closeLater(Tier0.load(loader, tier("ks_tier0.bpf.c")));
        Endpoint e1 = ep(lab, 1, EndpointLab.EP_IF, 0, 2);
        Endpoint e2 = ep(lab, 2, EP2_IF, 1, 3);
        AttachedEndpoint one = lab.closeLater(old0.attach(e1));
        AttachedEndpoint two = lab.closeLater(old0.attach(e2));
        Map<String, Integer> oldTier0 = old0.programIds();
        int oldOuterId;
        try (BpfMap o = outer(loader)) {
            oldOuterId = o.id();
        }
        assertEquals(0, udp(EP2_ADDR, 10), "endpoint 2 denies");

        UdpFlow.Result result;
        Tier0 new0;
        long beforeSwap;
        try (UdpFlow flow = lab.closeLater(UdpFlow.start(lab.peerNs, lab.epNs,
                new InetSocketAddress(EndpointLab.EP_ADDR, EndpointLab.port()), 5_000, 2_000_000L, Duration.ofSeconds(60)))) {
            assertTrue(flow.awaitReceived(1_000, Duration.ofSeconds(10)), "traffic flows on tier 0");
            beforeSwap = flow.receivedSoFar();
            loader.swap(one, tier("ks_tier1_bytes.bpf.c"), e1);
            long after = flow.receivedSoFar();
            assertTrue(flow.awaitReceived(after + 1_000, Duration.ofSeconds(10)), "traffic flows on tier 1");
            new0 = lab.closeLater(Tier0.load(loader, tier("ks_tier0_bytes.bpf.c")));
            result = flow.stop();
        }
        System.out.println("inner value 8 -> 16 bytes under traffic: " + result);
        assertEquals(0, result.missing(), "no datagram lost: " + result);
        assertEquals(0, result.duplicated(), "no datagram duplicated: " + result);
        // an array is copied once at the load and not caught up (MapMigration): what tier 0 counted between
        // the copy and the swap is not in the new map; everything before the swap is
        long counted = count(loader, 1, 2);
        System.out.println("endpoint 1: " + counted + " of " + result.received() + " datagrams counted ("
                + (result.received() - counted) + " counted by tier 0 between the copy and the swap)");
        assertTrue(counted >= beforeSwap && counted <= result.received(),
                "endpoint 1's count went on across the migration: " + counted + ", " + beforeSwap + " before the swap");
        assertTrue(bytes(loader, 1, 2) > 0, "tier 1 counts bytes");
        try (BpfMap o = outer(loader)) {
            assertNotEquals(oldOuterId, o.id(), "a new map of maps, for the new inner definition");
            assertEquals(0, innerId(o, 2), "endpoint 2's old-layout map is not in it (it moves at its own swap)");
        }
        AttachedEndpoint three = lab.closeLater(new0.attach(ep(lab, 3, EP3_IF, 0, 1)));
        assertEquals(new0.programIds(), three.programIds());
        assertEquals(20, udp(EP3_ADDR, 20), "endpoint 3 (new tier 0) receives");
        assertEquals(20, count(loader, 3, 1));
        assertTrue(bytes(loader, 3, 1) >= 20 * 28, "new tier 0 counts bytes in endpoint 3's map");
        long c2 = count(loader, 2, 3);
        assertEquals(0, udp(EP2_ADDR, 20), "endpoint 2 (old tier 0) still denies");
        assertEquals(oldTier0, two.programIds());
        assertEquals(c2 + 20, count(loader, 2, 3), "old tier 0 counts in endpoint 2's old map");

        // endpoint 2 moves: its map is migrated field by field, count kept
        loader.swap(two, tier("ks_tier1_bytes.bpf.c"), e2);
        assertEquals(c2 + 20, count(loader, 2, 3), "endpoint 2's count carried into the new layout");
        assertEquals(0, udp(EP2_ADDR, 20), "endpoint 2 (tier 1) denies");
        assertEquals(c2 + 40, count(loader, 2, 3));
        assertTrue(bytes(loader, 2, 3) > 0);
        old0.detach(two);
        old0.detach(one);
        new0.detach(three);
    }
}
