package io.kiln.agent.dataplane;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kiln.agent.Agent;
import io.kiln.agent.api.AgentClient;
import io.kiln.agent.api.AgentStatus;
import io.kiln.agent.api.EndpointStatus;
import io.kiln.agent.spec.TemplateCatalog;
import io.kiln.bench.DisruptionProbe;
import io.kiln.bench.UpgradeBenchmark;
import io.kiln.bpf.BpfMap;
import io.kiln.bpf.Direction;
import io.kiln.bpf.Features;
import io.kiln.bpf.TcFilter;
import io.kiln.cli.AgentProcess;
import io.kiln.host.Interfaces;
import io.kiln.lab.Command;
import io.kiln.runtime.AttachMode;
import io.kiln.runtime.AttachedEndpoint;
import io.kiln.runtime.Attachment;
import io.kiln.runtime.EndpointLoader;
import io.kiln.runtime.PinLayout;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;

import static io.kiln.agent.dataplane.AgentLab.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The disruption steps of issue 15 that {@link MapMigrationKernelTest} does not cover, each under a
 * {@link DisruptionProbe} of its own (50 TCP connections from endpoint 1 to endpoint 2 with a request
 * every 50 ms, a numbered UDP flow at 5,000 datagrams/s), figures printed per step:
 * <ol>
 * <li>{@code kiln agent} (a process of its own) killed with SIGKILL and started again: the new one
 * adopts without a reload (same program ids);</li>
 * <li>the agent restarted with the other {@code --attach} mode, then back (tcx to legacy tc and back,
 * or the reverse in the legacy-tc run): every tc hook moves to the other kind, the same programs,
 * and exactly that kind is left on the interfaces (asked of the kernel: tc filters, tcx links);</li>
 * <li>a downgrade of a map layout: the agent restarted onto a template whose {@code ct_entry} is the
 * 24-byte layout from before flow counters, from today's 72 bytes: the conntrack map migrates into
 * the smaller layout, its entries keep their keys and the fields both layouts have.</li>
 * </ol>
 * Every step: 0 connections broken, 0 requests failed. UDP loss, the gaps and the TCP segments retransmitted
 * meanwhile are printed, not asserted.
 */
class DisruptionKernelTest {
    private static final int TCP = 8080;
    private static final int UDP = 9000;
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String POLICY = """
            name: web
            endpointSelector: { matchLabels: { app: web } }
            ingress:
              - fromEndpoints: [ { matchLabels: { app: client } } ]
                toPorts: [ { port: 8080, protocol: TCP }, { port: 9000, protocol: UDP } ]
            """;

    /** One step's figures; {@code retransmits}: TCP segments the two endpoints' stacks sent again meanwhile. */
    record Step(String name, long millis, DisruptionProbe.Result traffic, long retransmits) {
        @Override
        public String toString() {
            return "DisruptionKernelTest " + name + " (" + millis + " ms to both endpoints ready): " + traffic
                    + "; TCP segments retransmitted " + retransmits;
        }
    }

    /** {@code RetransSegs} of endpoints 1 and 2 (/proc/thread-self: /proc/net follows the process's namespace). */
    private static long retransmits(AgentLab lab) {
        long sum = 0;
        for (int id : List.of(1, 2)) {
            List<String> lines = lab.ns(id).netns().call(() -> Files.readAllLines(Path.of("/proc/thread-self/net/snmp")));
            for (int i = 0; i + 1 < lines.size(); i++) {
                if (lines.get(i).startsWith("Tcp:") && lines.get(i + 1).startsWith("Tcp:")) {
                    int at = List.of(lines.get(i).trim().split("\\s+")).indexOf("RetransSegs");
                    sum += Long.parseLong(lines.get(i + 1).trim().split("\\s+")[at]);
                    break;
                }
            }
        }
        return sum;
    }

    static DisruptionProbe probe(AgentLab lab) {
        return DisruptionProbe.start(lab.ns(1).netns(), lab.ns(2).netns(), ip(2), TCP, UDP, 50, Duration.ofMillis(50),
                5000, Duration.ofSeconds(60));
    }

    interface Action {
        void run() throws Exception;
    }

    /** Runs {@code action} under a probe of its own: 0.5 s of traffic before, 0.5 s after it ends. */
    static Step step(AgentLab lab, String name, Action action) throws Exception {
        try (DisruptionProbe probe = probe(lab)) {
            Thread.sleep(500);
            probe.mark();
            long retransmits = retransmits(lab);
            long t0 = System.nanoTime();
            action.run();
            long millis = (System.nanoTime() - t0) / 1_000_000;
            Thread.sleep(500);
            DisruptionProbe.Result r = probe.stop();
            Step s = new Step(name, millis, r, retransmits(lab) - retransmits);
            System.out.println(s);
            return s;
        }
    }

    static void assertUndisrupted(List<Step> steps) {
        for (Step s : steps) {
            assertEquals(0, s.traffic().broken(), s.toString());
            assertEquals(0, s.traffic().failed(), s.toString());
            assertTrue(s.traffic().requests() > 50 * 10, s.toString());
        }
    }

    static List<String> agentArgs(AgentLab lab) {
        return List.of("--spec-dir", lab.specDir.toString(), "--state-dir", lab.stateDir.toString(), "--pin-root",
                lab.pinRoot.toString(), "--cache-dir", Path.of("target", "kiln-test-store").toAbsolutePath().toString());
    }

    /** Both endpoints ready by the agent's API; their program ids, recorded for the leak check. */
    static Map<Integer, Map<String, Integer>> awaitReady(AgentLab lab, AgentProcess agent) throws Exception {
        AgentClient client = AgentClient.unix(lab.stateDir.resolve("api.sock"));
        agent.await("ready: 2/2 endpoint", WAIT);
        AgentStatus[] last = new AgentStatus[1];
        AgentLab.eventually("both endpoints ready", () -> {
            if (!agent.isAlive()) {
                throw new AssertionError("the agent exited:\n" + agent.output());
            }
            try {
                last[0] = client.status();
            } catch (RuntimeException notYet) {
                return false;
            }
            return last[0].ready() == 2 && last[0].total() == 2;
        }, agent::output);
        Map<Integer, Map<String, Integer>> ids = new TreeMap<>();
        for (EndpointStatus e : last[0].endpoints()) {
            ids.put(e.id(), e.programIds());
            lab.recordPrograms(e.programIds().values());
        }
        return ids;
    }

    /** The kinds of tc attachment endpoint {@code id}'s state file records. */
    static Set<Attachment.Kind> recordedKinds(AgentLab lab, int id) {
        EndpointLoader d = EndpointLoader.builder().pinRoot(lab.pinRoot).stateDir(lab.stateDir.resolve("endpoints"))
                .build();
        Set<Attachment.Kind> kinds = new TreeSet<>();
        try (AttachedEndpoint a = d.adopt(id)) {
            a.attachments().stream().map(Attachment::kind).filter(k -> k != Attachment.Kind.XDP_LINK)
                    .forEach(kinds::add);
        }
        return kinds;
    }

    /** Program ids of the tcx links the kernel has (bpftool 7.1 shows a tcx link as "type 11"), any owner. */
    static Set<Integer> tcxLinkPrograms() throws Exception {
        Command.Result r = Command.run(List.of("bpftool", "-j", "link", "show"), Duration.ofSeconds(20));
        assertEquals(0, r.exitCode(), r.toString());
        Set<Integer> ids = new TreeSet<>();
        for (JsonNode l : new ObjectMapper().readTree(r.stdout())) {
            String type = l.path("type").asText();
            if (type.equals("tcx") || type.equals("11")) {
                ids.add(l.path("prog_id").asInt());
            }
        }
        return ids;
    }

    /**
     * Fails unless exactly {@code kind} holds the endpoints' programs: the state files say so, every hook
     * runs what they record, and the kernel has no attachment of the other kind left (no tc filter on the
     * interfaces, or no tcx link running one of the endpoints' programs).
     */
    private static void assertOnlyKind(AgentLab lab, Attachment.Kind kind, Map<Integer, Map<String, Integer>> programs)
            throws Exception {
        for (int id : List.of(1, 2)) {
            assertEquals(Set.of(kind), recordedKinds(lab, id), "endpoint " + id);
            assertTrue(lab.hooksIntact(id), "endpoint " + id + ": every hook runs what its state file records");
        }
        Set<Integer> ours = new TreeSet<>();
        programs.values().forEach(m -> ours.addAll(m.values()));
        Set<Integer> tcx = tcxLinkPrograms();
        List<TcFilter.Listed> filters = lab.node.netns().call(() -> {
            List<TcFilter.Listed> out = new ArrayList<>();
            for (int id : List.of(1, 2)) {
                int ifindex = Interfaces.ifindex(AgentLab.hostIf(id));
                out.addAll(TcFilter.list(ifindex, Direction.INGRESS));
                out.addAll(TcFilter.list(ifindex, Direction.EGRESS));
            }
            return out;
        });
        if (kind == Attachment.Kind.TCX_LINK) {
            assertEquals(List.of(), filters, "no tc filter left on lxc1, lxc2");
            assertTrue(tcx.containsAll(ours), "tcx links run " + ours + ": " + tcx);
        } else {
            Set<Integer> left = new TreeSet<>(ours);
            left.retainAll(tcx);
            assertEquals(Set.of(), left, "no tcx link runs the endpoints' programs");
            assertEquals(4, filters.size(), "one filter per endpoint and direction: " + filters);
        }
    }

    static Attachment.Kind kindOf(AttachMode m) {
        return m == AttachMode.LEGACY_TC ? Attachment.Kind.TC_FILTER : Attachment.Kind.TCX_LINK;
    }

    @Test
    void sigkillAndRestartThenAttachKindSwitchedAndBack(@TempDir Path tmp) throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1, 2)) {
            Assumptions.assumeTrue(Features.tcxLinks(), "the switch needs a kernel with tcx links (6.6+)");
            lab.writeSpec("policies", "web.yaml", POLICY);
            lab.writeSpec("endpoints", "client.yaml", lab.endpointYaml(1, "{app: client}"));
            lab.writeSpec("endpoints", "web.yaml", lab.endpointYaml(2, "{app: web}"));
            // the run's mode first (tcx by default, legacy tc in it/'s legacy-tc run), then the other one and back
            AttachMode first = AgentLab.attachMode() == AttachMode.LEGACY_TC ? AttachMode.LEGACY_TC : AttachMode.TCX;
            AttachMode other = first == AttachMode.TCX ? AttachMode.LEGACY_TC : AttachMode.TCX;
            List<Step> steps = new ArrayList<>();
            AgentProcess[] agent = {AgentProcess.start(first, agentArgs(lab))};
            try {
                awaitReady(lab, agent[0]);
                AgentLab.eventually("both on tier 1", () -> tier1(lab), agent[0]::output);
                Map<Integer, Map<String, Integer>> programs = awaitReady(lab, agent[0]);
                assertOnlyKind(lab, kindOf(first), programs);

                // 1. SIGKILL, a new agent adopts
                Map<Integer, Map<String, Integer>>[] after = new Map[1];
                steps.add(step(lab, "SIGKILL and restart (" + first + ")", () -> {
                    agent[0].kill(WAIT);
                    agent[0] = AgentProcess.start(first, agentArgs(lab));
                    agent[0].await("adopted 2 endpoint", WAIT);
                    after[0] = awaitReady(lab, agent[0]);
                }));
                assertEquals(programs, after[0], "adopted without a reload");
                assertOnlyKind(lab, kindOf(first), after[0]);

                // 2. the other attach mode, then back; each agent stopped with SIGTERM as a rolling update does
                for (AttachMode to : List.of(other, first)) {
                    Attachment.Kind from = to == other ? kindOf(first) : kindOf(other);
                    steps.add(step(lab, "restart with --attach " + to, () -> {
                        int exit = agent[0].terminate(WAIT);
                        assertTrue(exit == 0 || exit == 143, "exit " + exit + ":\n" + agent[0].output());
                        agent[0] = AgentProcess.start(to, agentArgs(lab));
                        for (int id : List.of(1, 2)) {
                            agent[0].await("endpoint " + id + ": hooks moved from " + from.label() + " to "
                                    + kindOf(to).label(), WAIT);
                        }
                        after[0] = awaitReady(lab, agent[0]);
                    }));
                    assertEquals(programs, after[0], "the same programs, on the other kind of hook");
                    assertOnlyKind(lab, kindOf(to), after[0]);
                }
                steps.forEach(System.out::println);
                assertUndisrupted(steps);
            } finally {
                agent[0].close();
            }
        }
    }

    private static boolean tier1(AgentLab lab) throws Exception {
        AgentStatus st = AgentClient.unix(lab.stateDir.resolve("api.sock")).status();
        return st.endpoints().size() == 2 && st.endpoints().stream().allMatch(e -> e.tier() != null && e.tier() == 1);
    }

    @Test
    void conntrackValueShrinksFrom72To24BytesAcrossAnAgentDowngrade(@TempDir Path tmp) throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1, 2)) {
            Path old = tmp.resolve("old-bpf");
            assertTrue(UpgradeBenchmark.templatesBeforeFlowCounters(Path.of(System.getProperty("kiln.home", ".."),
                    "bpf-templates", "src", "main", "bpf"), old).isPresent(),
                    "conntrack.h still defines struct ct_entry of " + UpgradeBenchmark.CT_ENTRY_SIZE + " bytes");

            lab.writeSpec("policies", "web.yaml", POLICY);
            lab.writeSpec("endpoints", "client.yaml", lab.endpointYaml(1, "{app: client}"));
            lab.writeSpec("endpoints", "web.yaml", lab.endpointYaml(2, "{app: web}"));
            Agent before = lab.start(lab.agent(lab.dataplane()).specDirectory(lab.specDir, Duration.ofSeconds(1)));
            AgentLab.eventually("both on tier 1", () -> before.reconciler().status().endpoints().stream()
                    .filter(e -> e.state() == EndpointStatus.State.READY && e.tier() != null && e.tier() == 1)
                    .count() == 2, () -> before.reconciler().status().toString());
            lab.awaitReady(before, 1, 2);
            try (BpfMap ct = BpfMap.openPinned(new PinLayout(lab.pinRoot).nodeMap("conntrack"))) {
                assertEquals(72, ct.definition().valueSize());
            }
            Map<String, byte[]>[] entries = new Map[2];
            Agent[] after = new Agent[1];
            Step s = step(lab, "ct_entry 72 -> 24 bytes (agent downgrade)", () -> {
                entries[0] = conntrack(lab);
                before.close(); // the newer agent goes; its programs run on
                lab.writeSpec("endpoints", "client.yaml", lab.endpointYaml(1, "{app: client}")
                        + "build: { flowEvents: \"off\" }\n");
                lab.writeSpec("endpoints", "web.yaml", lab.endpointYaml(2, "{app: web}")
                        + "build: { flowEvents: \"off\" }\n");
                after[0] = lab.start(lab.agent(lab.dataplane()).catalog(TemplateCatalog.scan(List.of(old)))
                        .specDirectory(lab.specDir, Duration.ofSeconds(1)));
                AgentLab.eventually("the conntrack map migrated", () -> {
                    try (BpfMap ct = BpfMap.openPinned(new PinLayout(lab.pinRoot).nodeMap("conntrack"))) {
                        return ct.definition().valueSize() == 24;
                    }
                }, () -> after[0].reconciler().status().toString());
                lab.awaitReady(after[0], 1, 2);
                entries[1] = conntrack(lab);
            });
            assertUndisrupted(List.of(s));
            // every entry of the endpoints' connections that is in both: same key, the common fields kept
            int kept = 0;
            for (Map.Entry<String, byte[]> e : entries[0].entrySet()) {
                ByteBuffer was = ByteBuffer.wrap(e.getValue()).order(ByteOrder.nativeOrder());
                int endpoint = was.getShort(16) & 0xffff;
                byte[] now = entries[1].get(e.getKey());
                if (now == null || (endpoint != 1 && endpoint != 2)) {
                    continue;
                }
                ByteBuffer v = ByteBuffer.wrap(now).order(ByteOrder.nativeOrder());
                assertTrue(v.getLong(0) > 0, "a deadline");
                // nat_addr, nat_port, service_id, endpoint_id (bytes 8..18) and tcp_flags' bits seen so far
                assertTrue(Arrays.equals(Arrays.copyOfRange(e.getValue(), 8, 18), Arrays.copyOfRange(now, 8, 18)),
                        "entry " + e.getKey() + ": " + Arrays.toString(e.getValue()) + " -> " + Arrays.toString(now));
                assertEquals(e.getValue()[18] & 0xff, now[18] & e.getValue()[18] & 0xff, "tcp_flags kept");
                assertTrue(Arrays.equals(new byte[5], Arrays.copyOfRange(now, 19, 24)), "pad starts at zero");
                kept++;
            }
            System.out.println("DisruptionKernelTest ct 72 -> 24: " + entries[0].size() + " entries before, "
                    + entries[1].size() + " after, " + kept + " of the endpoints' checked field by field");
            assertTrue(kept >= 101, "each connection tracked by both endpoints, and the UDP flow: " + kept);
            assertTrue(lab.hooksIntact(1) && lab.hooksIntact(2));
            assertTrue(Files.readString(lab.stateDir.resolve("endpoints/layouts/node/conntrack.json"))
                    .contains("\"valueSize\":24"));
        }
    }

    /** The node's conntrack entries: hex key to value. */
    private static Map<String, byte[]> conntrack(AgentLab lab) {
        Map<String, byte[]> out = new HashMap<>();
        try (BpfMap ct = BpfMap.openPinned(new PinLayout(lab.pinRoot).nodeMap("conntrack"))) {
            for (byte[] k : ct.keys()) {
                ct.lookup(k).ifPresent(v -> out.put(java.util.HexFormat.of().formatHex(k), v));
            }
        }
        return out;
    }
}
