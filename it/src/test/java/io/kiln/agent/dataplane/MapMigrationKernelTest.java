package io.kiln.agent.dataplane;

import io.kiln.agent.Agent;
import io.kiln.agent.api.EndpointStatus;
import io.kiln.agent.spec.TemplateCatalog;
import io.kiln.bench.DisruptionProbe;
import io.kiln.bpf.BpfMap;
import io.kiln.runtime.PinLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.kiln.agent.dataplane.AgentLab.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
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

    /** The endpoint template's ct_entry as it was before flow counters (24 bytes). */
    static final String CT_ENTRY_24 = """
            struct ct_entry {
            	__u64 expires;
            	__be32 nat_addr;
            	__be16 nat_port;
            	__u16 service_id;
            	__u16 endpoint_id;
            	__u8 tcp_flags;
            	__u8 pad[5];
            };
            KILN_ASSERT_SIZE(struct ct_entry, 24);""";

    @Test
    void conntrackValueGrowsFrom24To72BytesAcrossAnAgentUpgrade(@TempDir Path tmp) throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1, 2)) {
            Path old = TieredBringUpKernelTest.copyTemplates(tmp.resolve("old-bpf"));
            Path conntrack = old.resolve("include/kiln/conntrack.h");
            String h = Files.readString(conntrack);
            int from = h.indexOf("struct ct_entry {");
            String end = "KILN_ASSERT_SIZE(struct ct_entry, 72);";
            int to = h.indexOf(end);
            assertTrue(from > 0 && to > from, "conntrack.h still defines struct ct_entry of 72 bytes");
            Files.writeString(conntrack, h.substring(0, from) + CT_ENTRY_24 + h.substring(to + end.length()));

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
}
