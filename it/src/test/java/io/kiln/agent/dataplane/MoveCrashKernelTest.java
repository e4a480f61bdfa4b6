package io.kiln.agent.dataplane;

import io.kiln.agent.api.AgentClient;
import io.kiln.bpf.BpfProgram;
import io.kiln.bpf.Direction;
import io.kiln.bpf.Features;
import io.kiln.bpf.TcFilter;
import io.kiln.cli.AgentProcess;
import io.kiln.host.Interfaces;
import io.kiln.runtime.AttachMode;
import io.kiln.runtime.Attachment;
import io.kiln.runtime.EndpointLoader;
import io.kiln.runtime.PinLayout;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.kiln.agent.dataplane.AgentLab.ip;
import static io.kiln.agent.dataplane.DisruptionKernelTest.agentArgs;
import static io.kiln.agent.dataplane.DisruptionKernelTest.awaitReady;
import static io.kiln.agent.dataplane.DisruptionKernelTest.kindOf;
import static io.kiln.agent.dataplane.DisruptionKernelTest.recordedKinds;
import static io.kiln.agent.dataplane.DisruptionKernelTest.step;
import static io.kiln.agent.dataplane.DisruptionKernelTest.tcxLinkPrograms;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A move of an endpoint's tc hooks between tcx and legacy tc ({@code kiln agent --attach}) cut short by
 * the agent's death, and a move the kernel refuses:
 * <ul>
 * <li>{@code kiln agent} (a process of its own) stops dead ({@code KILN_TEST_HALT_AT}: {@link Runtime#halt},
 * no shutdown hook, as SIGKILL) at each point of a move where both kinds hold the endpoint's program: after
 * the new kind is attached and before the state file says so ({@code move-attached}), and after the state
 * file and before the old kind is taken off ({@code move-recorded}). The next agent, with {@code --attach
 * AUTO} or with a mode, leaves exactly one kind holding the programs, the one its state file records (or
 * the one it was asked for): the same program ids, no tc filter or tcx link of the other kind, no link pin
 * left; traffic passes throughout (0 connections broken under a {@link io.kiln.bench.DisruptionProbe}) and
 * the policy still drops what it does not allow.</li>
 * <li>a foreign tc filter where Kiln puts its own (same handle and priority, another program) makes the
 * move to tc fail: the endpoint stays on tcx, the move is tried again with a growing wait, shown on
 * {@code /metrics}; once the filter is gone the move completes, and the foreign filter was never
 * touched while it was there.</li>
 * </ul>
 */
class MoveCrashKernelTest {
    private static final int DENIED = 8081;
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String POLICY = """
            name: web
            endpointSelector: { matchLabels: { app: web } }
            ingress:
              - fromEndpoints: [ { matchLabels: { app: client } } ]
                toPorts: [ { port: 8080, protocol: TCP }, { port: 9000, protocol: UDP } ]
            """;

    private static AgentLab lab(Path tmp) throws Exception {
        AgentLab lab = AgentLab.create(tmp, 1, 2);
        if (!Features.tcxLinks()) {
            lab.close();
            Assumptions.abort("moves between tcx and tc need a kernel with tcx links (6.6+)");
        }
        lab.writeSpec("policies", "web.yaml", POLICY);
        lab.writeSpec("endpoints", "client.yaml", lab.endpointYaml(1, "{app: client}"));
        lab.writeSpec("endpoints", "web.yaml", lab.endpointYaml(2, "{app: web}"));
        lab.servers.tcp(lab.ns(2), DENIED);
        return lab;
    }

    /** The kind the kernel shows for endpoint {@code id}'s programs: tc filters on its interface, tcx links running them. */
    private record Seen(int filters, boolean filtersRunOurs, int inTcx, int linkPins) {
    }

    private static Seen seen(AgentLab lab, int id, Map<String, Integer> programs) throws Exception {
        Set<Integer> tcx = tcxLinkPrograms();
        int[] filters = {0};
        boolean[] ours = {true};
        lab.node.netns().run(() -> {
            int ifindex = Interfaces.ifindex(AgentLab.hostIf(id));
            for (Direction d : Direction.values()) {
                for (TcFilter.Listed f : TcFilter.list(ifindex, d)) {
                    filters[0]++;
                    int running = TcFilter.find(ifindex, d, f.handle(), f.priority()).map(TcFilter::programId).orElse(0);
                    ours[0] &= programs.containsValue(running);
                }
            }
        });
        int inTcx = (int) programs.values().stream().filter(tcx::contains).count();
        PinLayout pins = new PinLayout(lab.pinRoot);
        int linkPins = (int) programs.keySet().stream().filter(p -> Files.exists(pins.link(id, p))).count();
        return new Seen(filters[0], ours[0], inTcx, linkPins);
    }

    /**
     * Endpoint {@code id} runs {@code programs} on exactly {@code kind}: its state file says so, its hooks run
     * what it records, and the kernel has nothing of the other kind for it (no filter on its interface, or no
     * tcx link running its programs and no link pin).
     */
    private static void assertOnly(AgentLab lab, int id, Attachment.Kind kind, Map<String, Integer> programs)
            throws Exception {
        String what = "endpoint " + id + " on " + kind.label() + " only";
        assertEquals(Set.of(kind), recordedKinds(lab, id), what + ": the state file");
        assertTrue(lab.hooksIntact(id), what + ": its hooks run what its state file records");
        Seen s = seen(lab, id, programs);
        int n = programs.size();
        Seen expected = kind == Attachment.Kind.TCX_LINK ? new Seen(0, true, n, n) : new Seen(n, true, 0, 0);
        assertEquals(expected, s, what + " (filters on " + AgentLab.hostIf(id) + ", filters run its programs, "
                + "its programs on tcx links, its link pins)");
    }

    /** Both kinds hold endpoint {@code id}'s programs, the state file records {@code recorded}: where the halt left it. */
    private static void assertBoth(AgentLab lab, int id, Attachment.Kind recorded, Map<String, Integer> programs)
            throws Exception {
        assertEquals(Set.of(recorded), recordedKinds(lab, id), "endpoint " + id + ": the state file");
        Seen s = seen(lab, id, programs);
        int n = programs.size();
        assertEquals(new Seen(n, true, n, n), s, "endpoint " + id + ": both kinds run its programs after the halt");
    }

    private static void assertPolicy(AgentLab lab) throws Exception {
        assertFalse(EchoServers.tcpWorks(lab.ns(1), ip(2), DENIED), "the policy still drops client -> web:" + DENIED);
    }

    /** Starts an agent that halts at {@code point} of its first move; waits for the halt. */
    private static void halt(AgentLab lab, AttachMode mode, String point) throws Exception {
        try (AgentProcess a = AgentProcess.start(mode, agentArgs(lab), Map.of("KILN_TEST_HALT_AT", point))) {
            int exit = a.awaitExit(WAIT);
            assertEquals(137, exit, a.output());
            assertTrue(a.output().contains("KILN_TEST_HALT_AT=" + point + ": halting here"), a.output());
        }
    }

    @Test
    void agentKilledInTheMiddleOfAMoveLeavesExactlyOneKindAfterTheNextStart(@TempDir Path tmp) throws Exception {
        try (AgentLab lab = lab(tmp)) {
            AttachMode first = AgentLab.attachMode() == AttachMode.LEGACY_TC ? AttachMode.LEGACY_TC : AttachMode.TCX;
            AttachMode other = first == AttachMode.TCX ? AttachMode.LEGACY_TC : AttachMode.TCX;
            Attachment.Kind f = kindOf(first);
            Attachment.Kind o = kindOf(other);
            List<DisruptionKernelTest.Step> steps = new ArrayList<>();
            AgentProcess[] agent = {AgentProcess.start(first, agentArgs(lab))};
            try {
                awaitReady(lab, agent[0]);
                AgentLab.eventually("both endpoints on tier 1", () -> tier1(lab), agent[0]::output);
                Map<Integer, Map<String, Integer>> programs = awaitReady(lab, agent[0]);
                assertOnly(lab, 1, f, programs.get(1));
                assertOnly(lab, 2, f, programs.get(2));
                assertPolicy(lab);
                @SuppressWarnings("unchecked")
                Map<Integer, Map<String, Integer>>[] after = new Map[1];

                // 1. killed after endpoint 1's new kind is attached, before its state file: AUTO keeps the recorded kind
                steps.add(step(lab, "halt at move-attached (" + first + " -> " + other + "), restart AUTO", () -> {
                    agent[0].kill(WAIT);
                    halt(lab, other, "move-attached");
                    assertBoth(lab, 1, f, programs.get(1));
                    agent[0] = AgentProcess.start(AttachMode.AUTO, agentArgs(lab));
                    after[0] = awaitReady(lab, agent[0]);
                }));
                assertEquals(programs, after[0], "the same programs");
                assertOnly(lab, 1, f, programs.get(1));
                assertOnly(lab, 2, f, programs.get(2));
                agent[0].await("endpoint 1: removed .* by a move between tcx and tc that did not finish", WAIT);
                assertPolicy(lab);

                // 2. killed after endpoint 1's state file records the new kind, before the old one is off: AUTO keeps it
                steps.add(step(lab, "halt at move-recorded (" + first + " -> " + other + "), restart AUTO", () -> {
                    agent[0].kill(WAIT);
                    halt(lab, other, "move-recorded");
                    assertBoth(lab, 1, o, programs.get(1));
                    agent[0] = AgentProcess.start(AttachMode.AUTO, agentArgs(lab));
                    after[0] = awaitReady(lab, agent[0]);
                }));
                assertEquals(programs, after[0], "the same programs");
                assertOnly(lab, 1, o, programs.get(1));
                assertOnly(lab, 2, f, programs.get(2));
                assertPolicy(lab);

                // 3. endpoint 2's move cut short after the attach; the agent started again in the same mode finishes it
                steps.add(step(lab, "halt at move-attached (" + first + " -> " + other + "), restart " + other, () -> {
                    agent[0].kill(WAIT);
                    halt(lab, other, "move-attached");
                    assertBoth(lab, 2, f, programs.get(2));
                    agent[0] = AgentProcess.start(other, agentArgs(lab));
                    agent[0].await("endpoint 2: hooks moved from " + f.label() + " to " + o.label(), WAIT);
                    after[0] = awaitReady(lab, agent[0]);
                }));
                assertEquals(programs, after[0], "the same programs");
                assertOnly(lab, 1, o, programs.get(1));
                assertOnly(lab, 2, o, programs.get(2));
                assertPolicy(lab);

                // 4. endpoint 1's move back cut short after the state file; the agent started in that mode finishes it
                steps.add(step(lab, "halt at move-recorded (" + other + " -> " + first + "), restart " + first, () -> {
                    agent[0].kill(WAIT);
                    halt(lab, first, "move-recorded");
                    assertBoth(lab, 1, f, programs.get(1));
                    agent[0] = AgentProcess.start(first, agentArgs(lab));
                    agent[0].await("endpoint 2: hooks moved from " + o.label() + " to " + f.label(), WAIT);
                    after[0] = awaitReady(lab, agent[0]);
                }));
                assertEquals(programs, after[0], "the same programs");
                assertOnly(lab, 1, f, programs.get(1));
                assertOnly(lab, 2, f, programs.get(2));
                assertPolicy(lab);
                steps.forEach(System.out::println);
                DisruptionKernelTest.assertUndisrupted(steps);
            } finally {
                agent[0].close();
            }
        }
    }

    @Test
    void aMoveTheKernelRefusesIsTriedAgainAndCompletesOnceTheObstacleIsGone(@TempDir Path tmp) throws Exception {
        try (AgentLab lab = lab(tmp)) {
            AgentProcess[] agent = {AgentProcess.start(AttachMode.TCX, agentArgs(lab))};
            List<TcFilter> foreign = new ArrayList<>();
            int[] foreignProgram = {0};
            try {
                awaitReady(lab, agent[0]);
                AgentLab.eventually("both endpoints on tier 1", () -> tier1(lab), agent[0]::output);
                Map<Integer, Map<String, Integer>> programs = awaitReady(lab, agent[0]);
                assertOnly(lab, 2, Attachment.Kind.TCX_LINK, programs.get(2));
                int exit = agent[0].terminate(WAIT);
                assertTrue(exit == 0 || exit == 143, "exit " + exit + ":\n" + agent[0].output());

                // someone else's filters at Kiln's handles and priority on lxc2 (endpoint 1's program: not endpoint 2's)
                int program = programs.get(1).values().iterator().next();
                foreignProgram[0] = program;
                lab.node.netns().run(() -> {
                    int ifindex = Interfaces.ifindex(AgentLab.hostIf(2));
                    TcFilter.createClsact(ifindex);
                    try (BpfProgram p = BpfProgram.fromId(program)) {
                        for (Direction d : Direction.values()) {
                            for (int i = 0; i < programs.get(2).size(); i++) {
                                foreign.add(p.attachTc(ifindex, d, EndpointLoader.DEFAULT_TC_HANDLE + i,
                                        EndpointLoader.DEFAULT_TC_PRIORITY));
                            }
                        }
                    }
                });
                agent[0] = AgentProcess.start(AttachMode.LEGACY_TC, agentArgs(lab));
                agent[0].await("endpoint 1: hooks moved from tcx to tc", WAIT);
                String refused = agent[0].await("(endpoint 2: attached with tcx, kept so: .*the move to tc is tried again"
                        + " in 1.0 s \\(attempt 2 of 10\\))", WAIT);
                assertTrue(refused.contains("runs program " + program), refused);
                agent[0].await("(endpoint 2: attached with tcx, kept so: .*tried again in 2.0 s \\(attempt 3 of 10\\))",
                        WAIT);
                awaitReady(lab, agent[0]);
                String metrics = AgentClient.unix(lab.stateDir.resolve("api.sock")).metrics();
                assertTrue(has(metrics, "kiln_endpoint_tc_hooks\\{endpoint=\"2\",kind=\"tcx\"} 1(\\.0)?"), metrics);
                assertTrue(has(metrics, "kiln_endpoint_tc_hooks\\{endpoint=\"1\",kind=\"tc\"} 1(\\.0)?"), metrics);
                assertTrue(has(metrics, "kiln_endpoint_tc_move_failures\\{endpoint=\"2\",from=\"tcx\",state=\"retrying\","
                        + "to=\"tc\"} [23](\\.0)?"), metrics);
                var st2 = AgentLab.endpoint(AgentClient.unix(lab.stateDir.resolve("api.sock")).status(), 2);
                assertEquals("tcx", st2.hooks(), st2.toString());
                assertTrue(st2.pendingMove() != null && st2.pendingMove().startsWith("to tc: ")
                        && st2.pendingMove().contains("runs program " + program), st2.toString());
                assertEquals("tc", AgentLab.endpoint(AgentClient.unix(lab.stateDir.resolve("api.sock")).status(), 1)
                        .hooks());
                // the refused move took nothing off: endpoint 2 on tcx, the foreign filters as they were
                assertEquals(Set.of(Attachment.Kind.TCX_LINK), recordedKinds(lab, 2));
                assertTrue(lab.hooksIntact(2));
                assertEquals(programs.get(2).size(), seen(lab, 2, programs.get(2)).inTcx());
                lab.node.netns().run(() -> {
                    for (TcFilter t : foreign) {
                        assertEquals(program, TcFilter.find(t.ifindex(), t.direction(), t.handle(), t.priority())
                                .map(TcFilter::programId).orElse(0), "the foreign filter " + t + " untouched");
                    }
                });
                assertPolicy(lab);

                long t0 = System.nanoTime();
                lab.node.netns().run(() -> foreign.forEach(TcFilter::detach));
                agent[0].await("endpoint 2: hooks moved from tcx to tc", WAIT);
                System.out.println("MoveCrashKernelTest: the move completed " + (System.nanoTime() - t0) / 1_000_000
                        + " ms after the foreign filters went");
                assertOnly(lab, 1, Attachment.Kind.TC_FILTER, programs.get(1));
                assertOnly(lab, 2, Attachment.Kind.TC_FILTER, programs.get(2));
                assertEquals(programs, awaitReady(lab, agent[0]), "the same programs");
                metrics = AgentClient.unix(lab.stateDir.resolve("api.sock")).metrics();
                assertTrue(has(metrics, "kiln_endpoint_tc_hooks\\{endpoint=\"2\",kind=\"tc\"} 1(\\.0)?"), metrics);
                assertFalse(metrics.contains("kiln_endpoint_tc_move_failures{"), metrics);
                st2 = AgentLab.endpoint(AgentClient.unix(lab.stateDir.resolve("api.sock")).status(), 2);
                assertEquals("tc", st2.hooks(), st2.toString());
                assertNull(st2.pendingMove(), st2.toString());
                assertPolicy(lab);
            } finally {
                agent[0].close();
                lab.node.netns().run(() -> {
                    for (TcFilter t : foreign) {
                        TcFilter.find(t.ifindex(), t.direction(), t.handle(), t.priority())
                                .filter(x -> x.programId() == foreignProgram[0]).ifPresent(TcFilter::detach);
                    }
                });
            }
        }
    }

    /** True if a line of {@code metrics} is all {@code regex}. */
    private static boolean has(String metrics, String regex) {
        return metrics.lines().anyMatch(l -> l.matches(regex));
    }

    private static boolean tier1(AgentLab lab) throws Exception {
        var st = AgentClient.unix(lab.stateDir.resolve("api.sock")).status();
        return st.endpoints().size() == 2 && st.endpoints().stream().allMatch(e -> e.tier() != null && e.tier() == 1);
    }
}
