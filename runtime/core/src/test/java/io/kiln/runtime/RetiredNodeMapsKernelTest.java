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
