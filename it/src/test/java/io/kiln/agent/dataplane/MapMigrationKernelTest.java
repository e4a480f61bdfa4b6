package io.kiln.agent.dataplane;

import io.kiln.agent.Agent;
import io.kiln.agent.api.EndpointStatus;
import io.kiln.agent.spec.TemplateCatalog;
import io.kiln.bench.DisruptionProbe;
import io.kiln.bench.UpgradeBenchmark;
import io.kiln.bpf.BpfMap;
import io.kiln.runtime.PinLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.kiln.agent.dataplane.AgentLab.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Upgrades that change map layouts under live traffic, through the agent: 50 TCP connections (a
 * request every 50 ms) and a numbered UDP flow at 5,000 datagrams/s from endpoint 1 to endpoint 2
 * cross (a) a build change of {@code policySize} and {@code ctSize} (each endpoint's policy map and
 * the node's conntrack map move into new maps of the new size) and (b) an agent restart onto a
 * template whose conntrack value grew from 24 bytes (the layout before flow counters) to 72. The
 * connections must all survive with no request failing; the UDP loss and the longest gaps are printed.
 */
class MapMigrationKernelTest {
    private static final int TCP = 8080;
    private static final int UDP = 9000;
    private static final String POLICY = """
            name: web
            endpointSelector: { matchLabels: { app: web } }
            ingress:
              - fromEndpoints: [ { matchLabels: { app: client } } ]
                toPorts: [ { port: 8080, protocol: TCP }, { port: 9000, protocol: UDP } ]
            """;

    private static void writeSpecs(AgentLab lab, String build) throws Exception {
        lab.writeSpec("endpoints", "client.yaml", lab.endpointYaml(1, "{app: client}") + build);
        lab.writeSpec("endpoints", "web.yaml", lab.endpointYaml(2, "{app: web}") + build);
    }

    private static boolean onTier1(Agent agent, int id) {
        return agent.reconciler().status().endpoints().stream().anyMatch(e -> e.id() == id
                && e.state() == EndpointStatus.State.READY && e.tier() != null && e.tier() == 1);
    }

    private static BpfMap node(AgentLab lab, String map) {
        return BpfMap.openPinned(new PinLayout(lab.pinRoot).nodeMap(map));
    }

    private static BpfMap endpointMap(AgentLab lab, int id, String map) {
        return BpfMap.openPinned(new PinLayout(lab.pinRoot).endpointMap(id, map));
    }

    private static DisruptionProbe probe(AgentLab lab) {
        return DisruptionProbe.start(lab.ns(1).netns(), lab.ns(2).netns(), ip(2), TCP, UDP, 50, Duration.ofMillis(50),
                5000, Duration.ofSeconds(90));
    }

    @Test
    void policyAndConntrackResizedUnderTraffic(@TempDir Path tmp) throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1, 2)) {
            lab.writeSpec("policies", "web.yaml", POLICY);
            writeSpecs(lab, "build: { policySize: 1024, ctSize: 4096 }\n");
            Agent agent = lab.start(lab.agent(lab.dataplane()).specDirectory(lab.specDir, Duration.ofSeconds(1)));
            AgentLab.eventually("both on tier 1", () -> onTier1(agent, 1) && onTier1(agent, 2),
                    () -> agent.reconciler().status().toString());
            lab.awaitReady(agent, 1, 2);
            int ctBefore;
            int policyEntries;
            try (BpfMap ct = node(lab, "conntrack"); BpfMap p = endpointMap(lab, 2, "policy")) {
                ctBefore = ct.id();
                assertEquals(4096, ct.definition().maxEntries());
                policyEntries = p.keys().size();
            }
            try (DisruptionProbe probe = probe(lab)) {
                Thread.sleep(1000);
                int ctEntries;
                try (BpfMap ct = node(lab, "conntrack")) {
                    ctEntries = ct.keys().size();
                }
                assertTrue(ctEntries >= 101, "each connection tracked by both endpoints, and the UDP flow: " + ctEntries);
                probe.mark();
                long t0 = System.nanoTime();
                writeSpecs(lab, "build: { policySize: 2048, ctSize: 8192 }\n");
                AgentLab.eventually("both endpoints on the new maps", () -> {
                    try (BpfMap ct = node(lab, "conntrack"); BpfMap p1 = endpointMap(lab, 1, "policy");
                         BpfMap p2 = endpointMap(lab, 2, "policy")) {
                        return ct.definition().maxEntries() == 8192 && p1.definition().maxEntries() == 2048
                                && p2.definition().maxEntries() == 2048;
                    }
                }, () -> agent.reconciler().status().toString());
                lab.awaitReady(agent, 1, 2);
                long swapMillis = (System.nanoTime() - t0) / 1_000_000;
                Thread.sleep(1000);
                DisruptionProbe.Result r = probe.stop();
                System.out.println("MapMigrationKernelTest resize (policySize 1024->2048, ctSize 4096->8192, "
                        + ctEntries + " conntrack entries, " + policyEntries + " policy entries of endpoint 2, spec"
                        + " change to both endpoints ready " + swapMillis + " ms): " + r);
                assertEquals(0, r.broken(), r.toString());
                assertEquals(0, r.failed(), r.toString());
                assertTrue(r.requests() > 50 * 20, r.toString());
                try (BpfMap ct = node(lab, "conntrack"); BpfMap p = endpointMap(lab, 2, "policy")) {
                    assertTrue(ct.id() != ctBefore, "a new conntrack map");
                    assertTrue(ct.keys().size() >= ctEntries, "the tracked connections moved: " + ct.keys().size());
                    assertEquals(policyEntries, p.keys().size());
                }
                assertTrue(lab.hooksIntact(1) && lab.hooksIntact(2));
                assertTrue(Files.readString(lab.stateDir.resolve("endpoints/layouts/node/conntrack.json"))
                        .contains("\"maxEntries\":8192"));
            }
        }
    }

    @Test
    void conntrackValueGrowsFrom24To72BytesAcrossAnAgentUpgrade(@TempDir Path tmp) throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1, 2)) {
            Path old = tmp.resolve("old-bpf");
            assertTrue(UpgradeBenchmark.templatesBeforeFlowCounters(Path.of(System.getProperty("kiln.home", ".."),
                    "bpf-templates", "src", "main", "bpf"), old).isPresent(),
                    "conntrack.h still defines struct ct_entry of " + UpgradeBenchmark.CT_ENTRY_SIZE + " bytes");

            lab.writeSpec("policies", "web.yaml", POLICY);
            writeSpecs(lab, "build: { flowEvents: \"off\" }\n");
            Agent before = lab.start(lab.agent(lab.dataplane()).catalog(TemplateCatalog.scan(List.of(old)))
                    .specDirectory(lab.specDir, Duration.ofSeconds(1)));
            AgentLab.eventually("both on tier 1", () -> onTier1(before, 1) && onTier1(before, 2),
                    () -> before.reconciler().status().toString());
            lab.awaitReady(before, 1, 2);
            try (BpfMap ct = node(lab, "conntrack")) {
                assertEquals(24, ct.definition().valueSize());
            }
            try (DisruptionProbe probe = probe(lab)) {
                Thread.sleep(1000);
                int ctEntries;
                try (BpfMap ct = node(lab, "conntrack")) {
                    ctEntries = ct.keys().size();
                }
                probe.mark();
                long t0 = System.nanoTime();
                before.close(); // the old agent goes; its programs run on
                writeSpecs(lab, ""); // the new template's defaults: flowEvents on
                Agent after = lab.start(lab.agent(lab.dataplane()).specDirectory(lab.specDir, Duration.ofSeconds(1)));
                AgentLab.eventually("the conntrack map migrated", () -> {
                    try (BpfMap ct = node(lab, "conntrack")) {
                        return ct.definition().valueSize() == 72;
                    }
                }, () -> after.reconciler().status().toString());
                lab.awaitReady(after, 1, 2);
                long swapMillis = (System.nanoTime() - t0) / 1_000_000;
                Thread.sleep(1000);
                DisruptionProbe.Result r = probe.stop();
                System.out.println("MapMigrationKernelTest ct 24->72 bytes (" + ctEntries + " conntrack entries, old"
                        + " agent stopped to both endpoints ready on the new template " + swapMillis + " ms): " + r);
                assertEquals(0, r.broken(), r.toString());
                assertEquals(0, r.failed(), r.toString());
                try (BpfMap ct = node(lab, "conntrack")) {
                    int tracked = 0;
                    for (byte[] k : ct.keys()) {
                        ByteBuffer v = ByteBuffer.wrap(ct.lookup(k).orElseThrow()).order(ByteOrder.nativeOrder());
                        int endpointId = v.getShort(16) & 0xffff;
                        if (v.getLong(0) > 0 && (endpointId == 1 || endpointId == 2)) {
                            tracked++;
                        }
                    }
                    assertTrue(tracked >= ctEntries, "entries with their deadline and endpoint id: " + tracked
                            + " of " + ctEntries + " before");
                }
                assertTrue(lab.hooksIntact(1) && lab.hooksIntact(2));
            }
        }
    }

    private static Set<ByteBuffer> keys(BpfMap m) {
        Set<ByteBuffer> out = new HashSet<>();
        m.keys().forEach(k -> out.add(ByteBuffer.wrap(k)));
        return out;
    }

    private static Map<String, Integer> programsOf(Agent agent, int id) {
        return AgentLab.endpoint(agent.reconciler().status(), id).programIds();
    }

    /**
     * {@link #nodeMapEntriesOfAnEndpointSwappedLaterAreCaughtUpAtItsSwap} with the agent (a
     * {@code kiln agent} process) killed with SIGKILL between the two swaps: endpoint 2's old
     * programs track new flows in the old conntrack map while no agent runs; a new agent adopts
     * the old map from its retired pin, and endpoint 2's swap must carry those entries over.
     */
    @Test
    void nodeMapEntriesMadeAcrossAnAgentSigkillAreCaughtUpAtTheLaterSwap(@TempDir Path tmp) throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1, 2)) {
            lab.servers.udp(lab.ns(2), UDP);
            lab.writeSpec("policies", "web.yaml", POLICY);
            writeSpecs(lab, "build: { ctSize: 4096 }\n");
            List<String> args = List.of("--spec-dir", lab.specDir.toString(), "--state-dir", lab.stateDir.toString(),
                    "--pin-root", lab.pinRoot.toString(), "--cache-dir",
                    Path.of("target", "kiln-test-store").toAbsolutePath().toString());
            io.kiln.runtime.AttachMode mode = AgentLab.attachMode() == io.kiln.runtime.AttachMode.LEGACY_TC
                    ? io.kiln.runtime.AttachMode.LEGACY_TC : io.kiln.runtime.AttachMode.TCX;
            io.kiln.cli.AgentProcess[] agent = {io.kiln.cli.AgentProcess.start(mode, args)};
            io.kiln.agent.api.AgentClient api = io.kiln.agent.api.AgentClient.unix(lab.stateDir.resolve("api.sock"));
            try {
                agent[0].await("ready: 2/2 endpoint", Duration.ofSeconds(90));
                AgentLab.eventually("both ready on tier 1", () -> agent[0].isAlive() && api.status().endpoints().stream()
                        .filter(e -> e.state() == EndpointStatus.State.READY && e.tier() != null && e.tier() == 1)
                        .count() == 2, agent[0]::output);
            } catch (Throwable e) {
                agent[0].close();
                throw e;
            }
            try (BpfMap oldCt = node(lab, "conntrack")) {
                Map<String, Integer> webPrograms = AgentLab.endpoint(api.status(), 2).programIds();
                lab.writeSpec("endpoints", "client.yaml", lab.endpointYaml(1, "{app: client}")
                        + "build: { ctSize: 8192 }\n");
                AgentLab.eventually("endpoint 1 migrated conntrack and is ready", () -> {
                    try (BpfMap ct = node(lab, "conntrack")) {
                        return ct.definition().maxEntries() == 8192 && api.status().endpoints().stream()
                                .filter(e -> e.state() == EndpointStatus.State.READY).count() == 2;
                    }
                }, agent[0]::output);
                assertEquals(webPrograms, AgentLab.endpoint(api.status(), 2).programIds(), "endpoint 2 still runs its old programs");

                agent[0].kill(Duration.ofSeconds(30));
                for (int i = 0; i < 20; i++) { // each a new flow, tracked by endpoint 2's old programs, no agent running
                    assertTrue(EchoServers.udpWorks(lab.ns(1), ip(2), UDP), "UDP 9000 allowed, flow " + i);
                }
                Set<ByteBuffer> window = keys(oldCt);
                try (BpfMap ct = node(lab, "conntrack")) {
                    window.removeAll(keys(ct));
                }
                assertTrue(window.size() >= 20, "endpoint 2's old programs tracked the new flows in the old map"
                        + " only: " + window.size() + " entries");

                agent[0] = io.kiln.cli.AgentProcess.start(mode, args);
                agent[0].await("adopted 2 endpoint", Duration.ofSeconds(90));
                agent[0].await("ready: 2/2 endpoint", Duration.ofSeconds(90));
                lab.writeSpec("endpoints", "web.yaml", lab.endpointYaml(2, "{app: web}") + "build: { ctSize: 8192 }\n");
                AgentLab.eventually("endpoint 2 swapped and ready", () -> agent[0].isAlive()
                        && !AgentLab.endpoint(api.status(), 2).programIds().equals(webPrograms)
                        && api.status().endpoints().stream().filter(e -> e.state() == EndpointStatus.State.READY)
                        .count() == 2, agent[0]::output);
                Set<ByteBuffer> missing = new HashSet<>(window);
                try (BpfMap ct = node(lab, "conntrack")) {
                    assertEquals(8192, ct.definition().maxEntries());
                    missing.removeAll(keys(ct));
                }
                System.out.printf("MapMigrationKernelTest staggered across SIGKILL: endpoint 2's old programs tracked %d"
                        + " entries in the old conntrack map while no agent ran; %d missing after its swap%n",
                        window.size(), missing.size());
                assertEquals(0, missing.size(), missing.size() + " of the " + window.size() + " entries endpoint 2's"
                        + " old programs made after the migration and the agent's SIGKILL are not in the new conntrack map");
                assertFalse(agent[0].output().contains("retired node map"), agent[0].output());
                Path retired = new PinLayout(lab.pinRoot).retiredDir();
                try (var list = Files.list(retired)) {
                    assertEquals(List.of(), list.toList(), "the old map's retired pin is gone");
                }
                assertTrue(EchoServers.udpWorks(lab.ns(1), ip(2), UDP));
                assertTrue(lab.hooksIntact(1) && lab.hooksIntact(2));
            } finally {
                agent[0].close();
            }
        }
    }

    /**
     * A node map migrated while another endpoint still runs its old programs: endpoint 1 alone
     * moves to a larger {@code ctSize} and migrates {@code conntrack}; endpoint 2 keeps its old
     * programs, which track the new UDP flows sent to it in the old map only. When endpoint 2 is
     * swapped in turn, those entries must be in the new map.
     */
    @Test
    void nodeMapEntriesOfAnEndpointSwappedLaterAreCaughtUpAtItsSwap(@TempDir Path tmp) throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1, 2)) {
            lab.servers.udp(lab.ns(2), UDP);
            lab.writeSpec("policies", "web.yaml", POLICY);
            writeSpecs(lab, "build: { ctSize: 4096 }\n");
            Agent agent = lab.start(lab.agent(lab.dataplane()).specDirectory(lab.specDir, Duration.ofSeconds(1)));
            AgentLab.eventually("both on tier 1", () -> onTier1(agent, 1) && onTier1(agent, 2),
                    () -> agent.reconciler().status().toString());
            lab.awaitReady(agent, 1, 2);
            try (BpfMap oldCt = node(lab, "conntrack")) {
                Map<String, Integer> webPrograms = programsOf(agent, 2);
                lab.writeSpec("endpoints", "client.yaml", lab.endpointYaml(1, "{app: client}")
                        + "build: { ctSize: 8192 }\n");
                AgentLab.eventually("endpoint 1 migrated conntrack", () -> {
                    try (BpfMap ct = node(lab, "conntrack")) {
                        return ct.definition().maxEntries() == 8192;
                    }
                }, () -> agent.reconciler().status().toString());
                lab.awaitReady(agent, 1, 2);
                assertEquals(webPrograms, programsOf(agent, 2), "endpoint 2 still runs its old programs");

                for (int i = 0; i < 20; i++) { // each a new flow (a new socket, a new source port)
                    assertTrue(EchoServers.udpWorks(lab.ns(1), ip(2), UDP), "UDP 9000 allowed, flow " + i);
                }
                Set<ByteBuffer> window = keys(oldCt);
                try (BpfMap ct = node(lab, "conntrack")) {
                    window.removeAll(keys(ct));
                }
                assertTrue(window.size() >= 20, "endpoint 2's old programs tracked the new flows in the old map"
                        + " only: " + window.size() + " entries");

                lab.writeSpec("endpoints", "web.yaml", lab.endpointYaml(2, "{app: web}") + "build: { ctSize: 8192 }\n");
                AgentLab.eventually("endpoint 2 swapped", () -> !programsOf(agent, 2).equals(webPrograms),
                        () -> agent.reconciler().status().toString());
                lab.awaitReady(agent, 1, 2);
                Set<ByteBuffer> missing = new HashSet<>(window);
                try (BpfMap ct = node(lab, "conntrack")) {
                    assertEquals(8192, ct.definition().maxEntries());
                    missing.removeAll(keys(ct));
                }
                assertEquals(0, missing.size(), missing.size() + " of the " + window.size() + " entries endpoint 2's"
                        + " old programs made after the migration are not in the new conntrack map");
                assertTrue(EchoServers.udpWorks(lab.ns(1), ip(2), UDP));
                assertTrue(lab.hooksIntact(1) && lab.hooksIntact(2));
            }
        }
    }

    /**
     * Tier 0 after a map migration: endpoints 1 and 2 move from {@code policySize} 1024 to 2048 (and
     * {@code ctSize} 4096 to 8192: conntrack migrates); then a new endpoint 3 comes, with a policy
     * size of its own, whose tier 1 is refused on purpose (a template copy), so it must come up and
     * enforce its policy on tier 0, next to the migrated maps; endpoints 1 and 2 keep working.
     */
    @Test
    void aNewEndpointComesUpOnTier0AfterAMigration(@TempDir Path tmp) throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1, 2, 3)) {
            Path templates = TieredBringUpKernelTest.copyTemplates(tmp.resolve("bpf"));
            Path ftl = templates.resolve("endpoint").resolve("endpoint.bpf.c.ftl");
            String good = Files.readString(ftl);
            String anchor = "#define POLICY_SIZE ${policySize}\n";
            assertTrue(good.contains(anchor), "the template still defines POLICY_SIZE as " + anchor);
            Files.writeString(ftl, good.replace(anchor, anchor + "#if defined(CONFIG_SOURCE_CONSTANTS) && POLICY_SIZE == 4096\n"
                    + "#error \"test template: tier 1 with policySize 4096 is refused on purpose\"\n#endif\n"));
            lab.servers.tcp(lab.ns(2), TCP);
            lab.servers.tcp(lab.ns(3), TCP);
            lab.servers.tcp(lab.ns(3), TCP + 1);
            lab.writeSpec("policies", "web.yaml", POLICY);
            writeSpecs(lab, "build: { policySize: 1024, ctSize: 4096 }\n");
            Agent agent = lab.start(lab.agent(lab.dataplane()).catalog(TemplateCatalog.scan(List.of(templates)))
                    .specDirectory(lab.specDir, Duration.ofSeconds(1)));
            AgentLab.eventually("both on tier 1", () -> onTier1(agent, 1) && onTier1(agent, 2),
                    () -> agent.reconciler().status().toString());
            lab.awaitReady(agent, 1, 2);

            writeSpecs(lab, "build: { policySize: 2048, ctSize: 8192 }\n");
            AgentLab.eventually("both endpoints on the new maps", () -> {
                try (BpfMap ct = node(lab, "conntrack"); BpfMap p1 = endpointMap(lab, 1, "policy");
                     BpfMap p2 = endpointMap(lab, 2, "policy")) {
                    return ct.definition().maxEntries() == 8192 && p1.definition().maxEntries() == 2048
                            && p2.definition().maxEntries() == 2048;
                }
            }, () -> agent.reconciler().status().toString());
            lab.awaitReady(agent, 1, 2);

            lab.writeSpec("endpoints", "web3.yaml", lab.endpointYaml(3, "{app: web}")
                    + "build: { policySize: 4096, ctSize: 8192 }\n");
            AgentLab.eventually("endpoint 3 ready on tier 0, tier 1 refused", () -> {
                EndpointStatus e = agent.reconciler().status().endpoints().stream().filter(x -> x.id() == 3)
                        .findFirst().orElse(null);
                return e != null && e.state() == EndpointStatus.State.READY && e.tier() != null && e.tier() == 0
                        && e.reason() != null && e.reason().contains("refused on purpose");
            }, () -> agent.reconciler().status().toString());
            try (BpfMap p3 = endpointMap(lab, 3, "policy")) {
                assertEquals(4096, p3.definition().maxEntries());
            }
            assertTrue(EchoServers.tcpWorks(lab.ns(1), ip(3), TCP), "TCP 8080 to the new endpoint allowed on tier 0");
            assertFalse(EchoServers.tcpWorks(lab.ns(1), ip(3), TCP + 1), "TCP 8081 to the new endpoint denied on tier 0");
            assertTrue(EchoServers.tcpWorks(lab.ns(1), ip(2), TCP), "endpoint 2 still reached");
            assertTrue(onTier1(agent, 1) && onTier1(agent, 2));
            assertNotEquals(0, programsOf(agent, 3).size());
            assertTrue(lab.hooksIntact(1) && lab.hooksIntact(2) && lab.hooksIntact(3));
        }
    }

    /**
     * A new endpoint whose build changes a node map before any running endpoint has moved: its
     * variant's tier 0 cannot use the pinned conntrack (4096 entries, it wants 8192), so the endpoint
     * goes straight to tier 1, whose load migrates conntrack; it enforces its policy, the running
     * endpoints keep working on their old programs, and once they move too the new map has their
     * connections.
     */
    @Test
    void aNewEndpointThatChangesANodeMapFirstComesUpOnTier1(@TempDir Path tmp) throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1, 2, 3)) {
            lab.servers.tcp(lab.ns(2), TCP);
            lab.servers.tcp(lab.ns(3), TCP);
            lab.servers.tcp(lab.ns(3), TCP + 1);
            lab.writeSpec("policies", "web.yaml", POLICY);
            writeSpecs(lab, "build: { ctSize: 4096 }\n");
            Agent agent = lab.start(lab.agent(lab.dataplane()).specDirectory(lab.specDir, Duration.ofSeconds(1)));
            AgentLab.eventually("both on tier 1", () -> onTier1(agent, 1) && onTier1(agent, 2),
                    () -> agent.reconciler().status().toString());
            lab.awaitReady(agent, 1, 2);
            Map<String, Integer> webPrograms = programsOf(agent, 2);

            lab.writeSpec("endpoints", "web3.yaml", lab.endpointYaml(3, "{app: web}") + "build: { ctSize: 8192 }\n");
            lab.awaitReady(agent, 1, 2, 3);
            EndpointStatus e3 = AgentLab.endpoint(agent.reconciler().status(), 3);
            assertEquals(1, e3.tier(), "straight to tier 1: " + e3);
            try (BpfMap ct = node(lab, "conntrack")) {
                assertEquals(8192, ct.definition().maxEntries(), "endpoint 3's load migrated conntrack");
            }
            assertTrue(EchoServers.tcpWorks(lab.ns(1), ip(3), TCP), "TCP 8080 to the new endpoint allowed");
            assertFalse(EchoServers.tcpWorks(lab.ns(1), ip(3), TCP + 1), "TCP 8081 to the new endpoint denied");
            assertEquals(webPrograms, programsOf(agent, 2), "endpoint 2 untouched");
            assertTrue(EchoServers.tcpWorks(lab.ns(1), ip(2), TCP), "endpoint 2 still reached on its old programs");

            writeSpecs(lab, "build: { ctSize: 8192 }\n");
            AgentLab.eventually("endpoint 2 swapped", () -> !programsOf(agent, 2).equals(webPrograms),
                    () -> agent.reconciler().status().toString());
            lab.awaitReady(agent, 1, 2, 3);
            assertTrue(EchoServers.tcpWorks(lab.ns(1), ip(2), TCP));
            assertTrue(lab.hooksIntact(1) && lab.hooksIntact(2) && lab.hooksIntact(3));
        }
    }

    /**
     * An {@code endpointsSize} change while both endpoints run tier 0 (a template copy refuses tier 1
     * at {@code endpointsSize} 256, so they are held there) under the probe's traffic: the first load
     * of the new variant replaces the maps of maps {@code policy_maps} and {@code metrics_maps} (256 to
     * 512 entries) and carries the endpoints' own maps over; both endpoints move to tier 1 with their
     * policy, no connection broken, no request failed; TCP 8080 stays allowed and 8081 denied; a new
     * endpoint of the new variant comes up (on its tier 0, then tier 1) with its policy enforced.
     */
    @Test
    void endpointsSizeChangesWhileTheEndpointsRunTier0(@TempDir Path tmp) throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1, 2, 3)) {
            Path templates = TieredBringUpKernelTest.copyTemplates(tmp.resolve("bpf"));
            Path ftl = templates.resolve("endpoint").resolve("endpoint.bpf.c.ftl");
            String good = Files.readString(ftl);
            String anchor = "#define ENDPOINTS_SIZE ${endpointsSize}\n";
            assertTrue(good.contains(anchor), "the template still defines ENDPOINTS_SIZE as " + anchor);
            Files.writeString(ftl, good.replace(anchor, anchor + "#if defined(CONFIG_SOURCE_CONSTANTS) && ENDPOINTS_SIZE == 256\n"
                    + "#error \"test template: tier 1 with endpointsSize 256 is refused on purpose\"\n#endif\n"));
            lab.servers.tcp(lab.ns(2), TCP + 1);
            lab.servers.tcp(lab.ns(3), TCP);
            lab.servers.tcp(lab.ns(3), TCP + 1);
            lab.writeSpec("policies", "web.yaml", POLICY);
            writeSpecs(lab, "build: { endpointsSize: 256 }\n");
            Agent agent = lab.start(lab.agent(lab.dataplane()).catalog(TemplateCatalog.scan(List.of(templates)))
                    .specDirectory(lab.specDir, Duration.ofSeconds(1)));
            AgentLab.eventually("both ready on tier 0, tier 1 refused", () -> onTier0(agent, 1) && onTier0(agent, 2),
                    () -> agent.reconciler().status().toString());
            int outerBefore;
            try (BpfMap outer = node(lab, "policy_maps")) {
                outerBefore = outer.id();
                assertEquals(256, outer.definition().maxEntries());
                assertTrue(outer.innerMapId(u32(2)).isPresent(), "endpoint 2's policy map is in policy_maps");
            }
            assertFalse(EchoServers.tcpWorks(lab.ns(1), ip(2), TCP + 1), "TCP 8081 denied on tier 0");
            try (DisruptionProbe probe = probe(lab)) {
                Thread.sleep(1000);
                probe.mark();
                long t0 = System.nanoTime();
                writeSpecs(lab, "build: { endpointsSize: 512 }\n");
                AgentLab.eventually("both on tier 1 of the new variant", () -> onTier1(agent, 1) && onTier1(agent, 2),
                        () -> agent.reconciler().status().toString());
                lab.awaitReady(agent, 1, 2);
                long swapMillis = (System.nanoTime() - t0) / 1_000_000;
                Thread.sleep(1000);
                DisruptionProbe.Result r = probe.stop();
                System.out.println("MapMigrationKernelTest endpointsSize 256->512 from tier 0 (spec change to both"
                        + " endpoints ready " + swapMillis + " ms): " + r);
                assertEquals(0, r.broken(), r.toString());
                assertEquals(0, r.failed(), r.toString());
                assertTrue(r.requests() > 50 * 20, r.toString());
            }
            try (BpfMap outer = node(lab, "policy_maps"); BpfMap metrics = node(lab, "metrics_maps")) {
                assertNotEquals(outerBefore, outer.id(), "a new policy_maps");
                assertEquals(512, outer.definition().maxEntries());
                assertEquals(512, metrics.definition().maxEntries());
            }
            lab.servers.tcp(lab.ns(2), TCP); // the probe's server went with it
            assertTrue(EchoServers.tcpWorks(lab.ns(1), ip(2), TCP), "TCP 8080 allowed after");
            assertFalse(EchoServers.tcpWorks(lab.ns(1), ip(2), TCP + 1), "TCP 8081 denied after");

            lab.writeSpec("endpoints", "web3.yaml", lab.endpointYaml(3, "{app: web}") + "build: { endpointsSize: 512 }\n");
            lab.awaitReady(agent, 1, 2, 3);
            assertTrue(EchoServers.tcpWorks(lab.ns(1), ip(3), TCP), "TCP 8080 to the new endpoint allowed");
            assertFalse(EchoServers.tcpWorks(lab.ns(1), ip(3), TCP + 1), "TCP 8081 to the new endpoint denied");
            assertTrue(lab.hooksIntact(1) && lab.hooksIntact(2) && lab.hooksIntact(3));
        }
    }

    private static boolean onTier0(Agent agent, int id) {
        return agent.reconciler().status().endpoints().stream().anyMatch(e -> e.id() == id
                && e.state() == EndpointStatus.State.READY && e.tier() != null && e.tier() == 0
                && e.reason() != null && e.reason().contains("refused on purpose"));
    }

    private static byte[] u32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(v).array();
    }
}
