package io.kiln.agent.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.kiln.agent.api.AgentClient;
import io.kiln.agent.dataplane.AgentLab;
import io.kiln.agent.api.AgentStatus;
import io.kiln.agent.api.EndpointStatus;
import io.kiln.bpf.BpfMap;
import io.kiln.demo.DemoNetwork;
import io.kiln.demo.DemoNetwork.Seat;
import io.kiln.demo.RodataReader;
import io.kiln.demo.Sockets;
import io.kiln.demo.SpecFiles;
import io.kiln.runtime.PinLayout;
import io.kiln.templates.EndpointBpf.PolicyMap;
import io.kiln.templates.EndpointDefines;
import io.kiln.testing.BpfLeakCheck;
import io.kiln.lab.Command;
import io.kiln.testing.KernelRequirements;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restart safety: {@code kiln agent} runs as a child JVM on a spec directory for three endpoints that
 * probe each other with UDP every {@link #PROBE_INTERVAL}. Twenty times, a constant or a build
 * parameter of one endpoint is changed in its spec file and the agent is killed with SIGKILL
 * 0-300 ms later (before, during or after the regeneration), then started again. Traffic must never
 * stop (every probe answered); after the last restart every program runs the constants and variant
 * its spec asks for and every policy map holds what the policy says; after uninstall nothing is left.
 */
class AgentKillTest {
    private static final Duration PROBE_INTERVAL = Duration.ofMillis(20);
    private static final int KILLS = 20;
    private static final int PROBE_PORT = 9000;
    private static final Duration READY = Duration.ofSeconds(60);
    /** The whole test stops here whatever happens (the probes' arrays are sized for it). */
    private static final Duration LIMIT = Duration.ofMinutes(3);
    private static final Path TEMPLATES = Path.of(System.getProperty("kiln.home", "..")).toAbsolutePath().normalize()
            .resolve("bpf-templates/src/main/bpf");
    private static final List<String> GATEWAYS = List.of("198.18.0.1", "198.18.0.254");
    private static final List<String> MODES = List.of("enforce", "audit");

    private final Map<Integer, Integer> gateway = new HashMap<>();
    private final Map<Integer, Integer> mode = new HashMap<>();
    private final Set<Integer> programsSeen = new TreeSet<>();
    private final Set<Integer> mapsSeen = new TreeSet<>();
    private Process child;
    private int starts;

    @Test
    void sigkillDuringRegenerationNeverStopsTrafficAndTheRestartedAgentConverges(@TempDir Path tmp) throws Exception {
        KernelRequirements.assumeKernel();
        KernelRequirements.assumeTools("ip", "clang", "bpftool");
        long seed = System.nanoTime();
        Random random = new Random(seed);
        long deadline = System.nanoTime() + LIMIT.toNanos();
        Path pinRoot = Path.of("/sys/fs/bpf/kiln-kill-" + Long.toHexString(seed & 0xffffff));
        Path state = tmp.resolve("state");
        SpecFiles specs = new SpecFiles(tmp.resolve("specs"));
        List<Seat> seats = List.of(Seat.of("a", 21), Seat.of("b", 22), Seat.of("c", 23));
        List<UdpProbes> probes = new ArrayList<>();
        try (DemoNetwork net = DemoNetwork.create("kill", seats); Sockets echo = new Sockets(1000)) {
            for (Seat s : net.seats()) {
                echo.udpEcho(s.netns(), PROBE_PORT, s.name());
                gateway.put(s.id(), 0);
                mode.put(s.id(), 0);
                writeEndpoint(specs, net, s);
            }
            specs.write("policies", "probes", "name: probes\n"
                    + "endpointSelector: { matchLabels: { role: probe } }\n"
                    + "ingress:\n"
                    + "  - fromEndpoints: [ { matchLabels: { role: probe } } ]\n"
                    + "    toPorts: [ { port: " + PROBE_PORT + ", protocol: UDP } ]\n");
            // the API's socket: a killed agent's stale one is replaced by the next
            AgentClient client = AgentClient.unix(state.resolve("api.sock"));
            startAgent(specs.dir(), state, pinRoot, tmp);
            awaitConverged(client, net, deadline);

            int maxProbes = (int) (LIMIT.toNanos() / PROBE_INTERVAL.toNanos()) + 1;
            for (int i = 0; i < seats.size(); i++) {
                Seat from = seats.get(i);
                Seat to = net.seat(seats.get((i + 1) % seats.size()).name());
                probes.add(UdpProbes.start(from.name() + "->" + to.name(), net.seat(from.name()).netns(), to.ipv4(),
                        PROBE_PORT, PROBE_INTERVAL, maxProbes));
            }
            Thread.sleep(200);

            List<String> log = new ArrayList<>();
            for (int kill = 0; kill < KILLS; kill++) {
                assertTrue(System.nanoTime() < deadline, "out of time after " + kill + " kills: " + log);
                Seat s = net.seats().get(random.nextInt(seats.size()));
                boolean variant = random.nextInt(4) == 0;
                if (variant) {
                    mode.merge(s.id(), 1, (a, b) -> (a + b) % 2);
                } else {
                    gateway.merge(s.id(), 1, (a, b) -> (a + b) % 2);
                }
                writeEndpoint(specs, net, s);
                int delay = random.nextInt(301);
                Thread.sleep(delay);
                child.destroyForcibly(); // SIGKILL
                assertTrue(child.waitFor(10, TimeUnit.SECONDS), "the killed agent exited");
                log.add(s.name() + (variant ? " policyMode=" + MODES.get(mode.get(s.id()))
                        : " GATEWAY_IPV4=" + GATEWAYS.get(gateway.get(s.id()))) + " +" + delay + "ms");
                startAgent(specs.dir(), state, pinRoot, tmp);
                AgentStatus after = awaitConverged(client, net, deadline);
                // who finished the change: the restarted agent (killed before or during it) or the killed one
                String redone = after.endpoints().stream().filter(e -> e.id() == s.id()).findFirst()
                        .map(EndpointStatus::lastChange).orElse(null);
                log.set(log.size() - 1, log.get(log.size() - 1) + (redone == null ? " adopted" : " redone " + redone));
            }

            Thread.sleep(200); // traffic after the last restart too
            List<UdpProbes.Result> results = new ArrayList<>();
            for (UdpProbes p : probes) {
                results.add(p.stop());
            }
            probes.clear();
            System.out.println("AgentKillTest seed " + seed + ", " + KILLS + " kills: " + log);
            results.forEach(r -> System.out.println("AgentKillTest " + r));
            for (UdpProbes.Result r : results) {
                assertTrue(r.sent() > 100, r.toString());
                assertEquals(0, r.longestUnansweredRun(), "traffic stopped for more than the probe interval: " + r
                        + " (seed " + seed + ", kills " + log + ")");
            }

            AgentStatus last = awaitConverged(client, net, deadline);
            checkProgramsMatchSpecs(last, net);
            checkPolicyMaps(last, net, new PinLayout(pinRoot));
            AgentLab.assertAttachedAsForced(pinRoot, state,
                    last.endpoints().stream().mapToInt(EndpointStatus::id).toArray());
        } finally {
            probes.forEach(UdpProbes::close);
            if (child != null) {
                child.destroyForcibly();
                child.waitFor(10, TimeUnit.SECONDS);
            }
            uninstall(pinRoot, state);
        }
        assertFalse(Files.exists(pinRoot), "pins left under " + pinRoot);
        assertFalse(Files.exists(state.resolve("endpoints")), "endpoint state left");
        BpfLeakCheck.assertGone(programsSeen, mapsSeen, BpfLeakCheck.SETTLE);
    }

    private void writeEndpoint(SpecFiles specs, DemoNetwork net, Seat s) {
        Map<String, String> build = mode.get(s.id()) == 0 ? Map.of() : Map.of("policyMode", MODES.get(1));
        specs.write("endpoints", s.name(), SpecFiles.endpoint(s.id(), s.hostIf(), net.node().name(), s.ipv4(), s.mac(),
                new TreeMap<>(Map.of("app", s.name(), "role", "probe")), build,
                Map.of("GATEWAY_IPV4", GATEWAYS.get(gateway.get(s.id())))));
    }

    /** {@code kiln agent} in a child JVM of this class path, output appended to {@code agent.log}. */
    private void startAgent(Path specs, Path state, Path pinRoot, Path tmp) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        starts++;
        List<String> command = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), "io.kiln.cli.Main", "agent"));
        command.addAll(AgentLab.attachArgs());   // --attach LEGACY_TC in the legacy-tc run
        command.addAll(List.of("--spec-dir", specs.toString(), "--state-dir", state.toString(),
                "--pin-root", pinRoot.toString(), "--templates",
                TEMPLATES.toString(), "--cache-dir", tmp.resolve("objects").toString()));
        child = new ProcessBuilder(command)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(tmp.resolve("agent.log").toFile()))
                .start();
    }

    /**
     * Waits until the agent answers, every endpoint is READY and its programs run the constants and
     * variant its spec asks for; records every program and map id seen (for the leak check).
     */
    private AgentStatus awaitConverged(AgentClient client, DemoNetwork net, long deadline) throws Exception {
        long limit = Math.min(deadline, System.nanoTime() + READY.toNanos());
        String last = "no answer";
        while (System.nanoTime() < limit) {
            assertTrue(child.isAlive(), "the agent exited (start " + starts + "): " + last);
            try {
                AgentStatus s = client.status();
                last = s.ready() + " of " + s.total() + " ready, synced " + s.synced() + ": " + s.endpoints();
                if (s.synced() && s.total() == 3 && s.ready() == 3 && s.node() == EndpointStatus.State.READY
                        && programsMatch(s, net)) {
                    return s;
                }
            } catch (RuntimeException notYet) {
                last = notYet.getMessage();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the agent did not converge within " + READY.toSeconds() + " s (start " + starts
                + "): " + last);
    }

    private boolean programsMatch(AgentStatus s, DemoNetwork net) {
        for (EndpointStatus e : s.endpoints()) {
            for (int id : e.programIds().values()) {
                if (programsSeen.add(id)) {
                    mapsSeen.addAll(mapIds(id));
                }
            }
            Map<String, JsonNode> c = RodataReader.constants(e.programIds().get("from_endpoint"));
            if (c.get("GATEWAY_IPV4") == null || !RodataReader.ipv4(c.get("GATEWAY_IPV4").asLong())
                    .equals(GATEWAYS.get(gateway.get(e.id())))) {
                return false;
            }
        }
        return variantsMatch(s);
    }

    /** Endpoints with the same policyMode share a variant key, the others differ. */
    private boolean variantsMatch(AgentStatus s) {
        for (EndpointStatus a : s.endpoints()) {
            for (EndpointStatus b : s.endpoints()) {
                boolean sameMode = mode.get(a.id()).equals(mode.get(b.id()));
                if (a.variantKey() == null || sameMode != a.variantKey().equals(b.variantKey())) {
                    return false;
                }
            }
        }
        return true;
    }

    private void checkProgramsMatchSpecs(AgentStatus s, DemoNetwork net) {
        for (EndpointStatus e : s.endpoints()) {
            Seat seat = net.seats().stream().filter(x -> x.id() == e.id()).findFirst().orElseThrow();
            for (Map.Entry<String, Integer> p : e.programIds().entrySet()) {
                Map<String, JsonNode> c = RodataReader.constants(p.getValue());
                String what = "endpoint " + e.id() + " " + p.getKey() + " (program " + p.getValue() + "): ";
                assertEquals(e.id(), c.get("ENDPOINT_ID").asInt(), what + "ENDPOINT_ID");
                assertEquals((long) e.identity(), c.get("IDENTITY").asLong(), what + "IDENTITY");
                assertEquals(seat.ipv4(), RodataReader.ipv4(c.get("ENDPOINT_IPV4").asLong()), what + "ENDPOINT_IPV4");
                assertEquals(GATEWAYS.get(gateway.get(e.id())), RodataReader.ipv4(c.get("GATEWAY_IPV4").asLong()),
                        what + "GATEWAY_IPV4");
            }
        }
        assertTrue(variantsMatch(s), "variant keys follow the specs' policyMode: " + s.endpoints());
        long modes = mode.values().stream().distinct().count();
        long keys = s.endpoints().stream().map(EndpointStatus::variantKey).distinct().count();
        assertEquals(modes, keys, "one variant per distinct build");
    }

    /** Each endpoint's policy map: UDP 9000 from each of the three identities in, anything out. */
    private static void checkPolicyMaps(AgentStatus s, DemoNetwork net, PinLayout pins) {
        Set<String> expected = new TreeSet<>();
        for (EndpointStatus peer : s.endpoints()) {
            expected.add(PolicyMap.Key.builder().identity(peer.identity()).dport(PROBE_PORT).proto(17)
                    .dir(EndpointDefines.DIR_INGRESS).build() + "=1");
        }
        expected.add(PolicyMap.Key.builder().dir(EndpointDefines.DIR_EGRESS).build() + "=1");
        for (EndpointStatus e : s.endpoints()) {
            Set<String> actual = new TreeSet<>();
            try (BpfMap policy = BpfMap.openPinned(pins.endpointMap(e.id(), PolicyMap.NAME))) {
                for (byte[] k : policy.keys()) {
                    actual.add(PolicyMap.Key.fromBytes(k) + "="
                            + PolicyMap.Value.fromBytes(policy.lookup(k).orElseThrow()).action());
                }
            }
            assertEquals(expected, actual, "policy map of endpoint " + e.id());
        }
        assertNotEquals(0, net.seats().size());
    }

    private static Set<Integer> mapIds(int programId) {
        Set<Integer> ids = new TreeSet<>();
        Command.Result r = Command.run(List.of("bpftool", "-j", "prog", "show", "id", Integer.toString(programId)));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"map_ids\":\\[([0-9,]*)]").matcher(r.stdout());
        if (m.find() && !m.group(1).isEmpty()) {
            for (String id : m.group(1).split(",")) {
                ids.add(Integer.parseInt(id));
            }
        }
        return ids;
    }

    /** {@code kiln uninstall}: every endpoint detached, every pin under the root and the agent's state removed. */
    private static void uninstall(Path pinRoot, Path state) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Command.Result r = Command.run(List.of(java, "-cp", System.getProperty("java.class.path"), "io.kiln.cli.Main",
                "uninstall", "--pin-root", pinRoot.toString(), "--state-dir", state.toString()), Duration.ofMinutes(2));
        assertEquals(0, r.exitCode(), "kiln uninstall: " + r.stdout() + r.stderr());
    }

}
