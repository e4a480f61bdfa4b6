package io.kiln.runtime;

import io.kiln.bpf.BpfMap;
import io.kiln.host.Netns;
import io.kiln.lab.UdpFlow;
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

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Staggered swaps across an agent's SIGKILL. Endpoints A (7) and B (8) share the node map ks_flows
 * (ks_ret: one entry per UDP destination port, made by the program). An agent in another JVM
 * attaches both with v1 and swaps A to v2: ks_flows migrates to a new layout (a field added, one
 * moved, twice the entries), while B's old program still writes the old map. The agent is killed
 * with SIGKILL; B's old program makes entries in the old map before and after the kill; a new
 * loader in this JVM adopts both endpoints and swaps B to v2: every entry B made must be in the
 * new map, and the old map's retired pin must be gone.
 */
class RetiredNodeMapsKernelTest {
    static final int A = 7;
    static final int B = 8;
    static final String FLOWS = "ks_flows";

    @TempDir
    Path state;
    @TempDir
    Path tmp;
    private EndpointLab lab;
    private Process child;

    @AfterEach
    void tearDown() {
        if (child != null) {
            child.destroyForcibly();
        }
        if (lab != null) {
            lab.close();
        }
    }

    static TemplateDescriptor template() {
        Path root = TestTemplates.resources();
        return new TemplateDescriptor("ks_ret", root, root.resolve("ks_ret.template.yaml"), root.resolve("ks_ret.bpf.c.ftl"),
                List.of(root), List.of(new ProgramDecl("ks_ingress", Hook.TC_INGRESS)), List.of(),
                List.of(new ConstantDecl("ENDPOINT_ID", ConstantType.U16, "endpoint id")),
                List.of(new MapDecl(FLOWS, MapScope.NODE, true)));
    }

    static TemplateObject version(int v) {
        return TestTemplates.object(template(), "ks_ret_v" + v + ".bpf.c");
    }

    /** A's program sees what arrives on ks-ep0: datagrams from the peer. */
    static Endpoint endpointA(Netns ep) {
        return new Endpoint(A, EndpointLab.EP_IF, Map.of("ENDPOINT_ID", TestTemplates.u16(A)), ep);
    }

    /** B's program sees what arrives on ks-ep1: datagrams from ep. */
    static Endpoint endpointB(Netns peer) {
        return new Endpoint(B, EndpointLab.PEER_IF, Map.of("ENDPOINT_ID", TestTemplates.u16(B)), peer);
    }

    @Test
    void entriesTheOldProgramsMakeAfterASigkillAreCarriedOverAtTheLaterSwap() throws Exception {
        lab = EndpointLab.create(state);
        startChildAndAwaitSwap();
        Path pin = lab.pinRoot.resolve("node/" + FLOWS);
        try (BpfMap now = BpfMap.openPinned(pin)) {
            assertEquals(24, now.definition().valueSize(), "A's swap migrated the node map");
        }
        List<Integer> beforeKill = flows(lab.epNs, lab.peerNs, EndpointLab.PEER_ADDR, 3); // B's old program

        child.destroyForcibly(); // SIGKILL: no handle closed by Kiln, no catch-up, nothing written
        assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the agent is gone");
        assertEquals(137, child.exitValue(), "killed by SIGKILL");

        List<String> retired = lab.pins().stream().filter(p -> p.startsWith("retired/")).toList();
        assertEquals(1, retired.size(), "the old map is pinned for a later catch-up: " + lab.pins());
        assertTrue(retired.get(0).matches("retired/" + FLOWS + "-[0-9]+"), retired.get(0));
        assertTrue(Files.isRegularFile(state.resolve("layouts/" + retired.get(0) + ".json")), "with its record");

        assertFalse(Files.exists(state.resolve("layouts/migrating/" + FLOWS + ".json")),
                "the commit removed the migration's record");
        List<Integer> afterKill = flows(lab.epNs, lab.peerNs, EndpointLab.PEER_ADDR, 3); // B's old program still
        List<Integer> toA = flows(lab.peerNs, lab.epNs, EndpointLab.EP_ADDR, 1); // A's new program
        try (BpfMap now = BpfMap.openPinned(pin)) {
            for (int port : afterKill) {
                assertTrue(now.lookup(TestTemplates.u32(port)).isEmpty(), "B's old program wrote the old map only");
            }
            assertEquals(A, value(now, toA.get(0)).getInt(16), "A's new program writes the new map");
        }

        EndpointLoader loader = lab.loader(AttachMode.AUTO);
        lab.closeLater(loader.adopt(A));
        AttachedEndpoint b = lab.closeLater(loader.adopt(B));
        assertTrue(b.isIntact());
        loader.swap(b, version(2), endpointB(lab.peerNs));

        List<Integer> lost = new ArrayList<>();
        try (BpfMap now = BpfMap.openPinned(pin)) {
            assertEquals(24, now.definition().valueSize());
            List<Integer> fromB = new ArrayList<>(beforeKill);
            fromB.addAll(afterKill);
            for (int port : fromB) {
                byte[] v = now.lookup(TestTemplates.u32(port)).orElse(null);
                if (v == null) {
                    lost.add(port);
                    continue;
                }
                ByteBuffer bb = ByteBuffer.wrap(v).order(ByteOrder.nativeOrder());
                assertEquals(FLOW_DATAGRAMS, bb.getLong(0), "packets of flow " + port);
                assertEquals(0, bb.getLong(8), "bytes of flow " + port + " (new field): zero");
                assertEquals(B, bb.getInt(16), "endpoint of flow " + port + " (moved)");
            }
            System.out.printf("retired node map across SIGKILL: B's old program made %d entries (%d before the kill,"
                    + " %d after); after B's swap %d of them are in the new map%n", fromB.size(), beforeKill.size(),
                    afterKill.size(), fromB.size() - lost.size());
        }
        assertEquals(List.of(), lost, "flows B's old program tracked in the old map, missing after B's swap");
        assertEquals(List.of(), lab.pins().stream().filter(p -> p.startsWith("retired/")).toList(),
                "no program uses the old map any more: its retired pin is gone");
        assertTrue(!Files.exists(state.resolve("layouts/retired")) || isEmpty(state.resolve("layouts/retired")),
                "its record is gone");

        List<Integer> after = flows(lab.epNs, lab.peerNs, EndpointLab.PEER_ADDR, 1); // B's new program
        try (BpfMap now = BpfMap.openPinned(pin)) {
            ByteBuffer v = value(now, after.get(0));
            assertEquals(B, v.getInt(16));
            assertTrue(v.getLong(8) > 0, "v2 counts bytes");
        }
    }

    /**
     * The agent dies after A's hooks changed and before its commit: A's new programs run on the new
     * map, pinned only as {@code ks_flows-migrating}; the live pin is still the old map, which B's old
     * program writes. A new loader adopts both endpoints and the node maps, then swaps B: what A's new
     * program and B's old program wrote in the meantime must all be in the map at the pin, and A's
     * program must write that same map afterwards.
     */
    @Test
    void entriesMadeAfterASigkillBetweenTheHookChangeAndTheCommitAreCarriedOver() throws Exception {
        lab = EndpointLab.create(state);
        String java = ProcessHandle.current().info().command().orElseThrow();
        Path output = tmp.resolve("child.out");
        child = new ProcessBuilder(java, "-D" + TestHalt.PROPERTY + "=swap-hooked", "-cp",
                System.getProperty("java.class.path"), RetiredChildMain.class.getName(),
                lab.pinRoot.toString(), state.toString(), lab.ep.name(), lab.peer.name(),
                lab.loader(AttachMode.AUTO).attachMode().name())
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), "the agent halts at its swap:\n" + Files.readString(output));
        assertEquals(137, child.exitValue(), "halted at swap-hooked:\n" + Files.readString(output));
        Path pin = lab.pinRoot.resolve("node/" + FLOWS);
        Path migrating = lab.pinRoot.resolve("node/" + FLOWS + Specializer.MIGRATING_SUFFIX);
        try (BpfMap now = BpfMap.openPinned(pin); BpfMap next = BpfMap.openPinned(migrating)) {
            assertEquals(16, now.definition().valueSize(), "the live pin is still the old map");
            assertEquals(24, next.definition().valueSize(), "the new map is pinned as migrating only");
        }
        Path migrationRecord = state.resolve("layouts/migrating/" + FLOWS + ".json");
        assertTrue(Files.isRegularFile(migrationRecord), "the migration was recorded before its pin");
        List<Integer> fromB = flows(lab.epNs, lab.peerNs, EndpointLab.PEER_ADDR, 3); // B's old program: old map
        List<Integer> toA = flows(lab.peerNs, lab.epNs, EndpointLab.EP_ADDR, 3); // A's new program: new map
        try (BpfMap next = BpfMap.openPinned(migrating)) {
            assertEquals(A, value(next, toA.get(0)).getInt(16), "A's new program writes the migrating map");
        }

        EndpointLoader loader = lab.loader(AttachMode.AUTO);
        lab.closeLater(loader.adopt(A));
        AttachedEndpoint b = lab.closeLater(loader.adopt(B));
        assertEquals(List.of(), loader.adoptRetiredNodeMaps());
        loader.swap(b, version(2), endpointB(lab.peerNs));
        List<Integer> toALater = flows(lab.peerNs, lab.epNs, EndpointLab.EP_ADDR, 1); // A's program after B's swap

        List<Integer> lostB = new ArrayList<>();
        List<Integer> lostA = new ArrayList<>();
        try (BpfMap now = BpfMap.openPinned(pin)) {
            assertEquals(24, now.definition().valueSize());
            for (int port : fromB) {
                byte[] v = now.lookup(TestTemplates.u32(port)).orElse(null);
                if (v == null) {
                    lostB.add(port);
                    continue;
                }
                assertEquals(B, ByteBuffer.wrap(v).order(ByteOrder.nativeOrder()).getInt(16), "endpoint of flow " + port);
            }
            for (int port : toA) {
                byte[] v = now.lookup(TestTemplates.u32(port)).orElse(null);
                if (v == null) {
                    lostA.add(port);
                    continue;
                }
                ByteBuffer bb = ByteBuffer.wrap(v).order(ByteOrder.nativeOrder());
                assertEquals(A, bb.getInt(16), "endpoint of flow " + port);
                assertTrue(bb.getLong(8) > 0, "A's v2 program counted bytes of flow " + port);
            }
            System.out.printf("migrating node map across a halt after the hook change: B's old program made %d"
                    + " entries, A's new program %d; after B's swap %d and %d of them are at the pin%n", fromB.size(),
                    toA.size(), fromB.size() - lostB.size(), toA.size() - lostA.size());
            assertTrue(now.lookup(TestTemplates.u32(toALater.get(0))).isPresent(),
                    "A's program writes the map at the pin after B's swap (one map for both endpoints)");
        }
        assertEquals(List.of(), lostB, "flows B's old program tracked in the old map, missing after B's swap");
        assertEquals(List.of(), lostA, "flows A's new program tracked in the migrating map, missing after B's swap");
        assertFalse(Files.exists(migrating), "no migrating pin is left");
        assertFalse(Files.exists(migrationRecord), "nor its record");
        assertEquals(List.of(), lab.pins().stream().filter(p -> p.startsWith("retired/")).toList(),
                "no program uses the old map any more: its retired pin is gone");
    }

    private static final int FLOW_DATAGRAMS = 5;

    /** {@code n} UDP flows of {@link #FLOW_DATAGRAMS} datagrams each to new ports; their ports. */
    private static List<Integer> flows(Netns from, Netns to, String address, int n) {
        List<Integer> ports = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int port = EndpointLab.port();
            try (UdpFlow flow = UdpFlow.start(from, to, new InetSocketAddress(address, port), 1_000, FLOW_DATAGRAMS,
                    Duration.ofSeconds(10))) {
                assertTrue(flow.awaitReceived(FLOW_DATAGRAMS, Duration.ofSeconds(10)), "flow to port " + port);
                flow.stop();
            }
            ports.add(port);
        }
        return ports;
    }

    private void startChildAndAwaitSwap() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Path output = tmp.resolve("child.out");
        child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), RetiredChildMain.class.getName(),
                lab.pinRoot.toString(), state.toString(), lab.ep.name(), lab.peer.name(),
                lab.loader(AttachMode.AUTO).attachMode().name()) // the run's forced mode, if any
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!Files.readString(output, StandardCharsets.UTF_8).contains("swapped")) {
            assertTrue(child.isAlive(), "the agent stopped before its swap:\n" + Files.readString(output));
            assertTrue(System.nanoTime() < deadline, "no swap within 120 s:\n" + Files.readString(output));
            EndpointLab.sleep(50);
        }
    }

    private static ByteBuffer value(BpfMap m, int port) {
        return ByteBuffer.wrap(m.lookup(TestTemplates.u32(port)).orElseThrow()).order(ByteOrder.nativeOrder());
    }

    private static boolean isEmpty(Path dir) throws java.io.IOException {
        try (var list = Files.list(dir)) {
            return list.findAny().isEmpty();
        }
    }
}
