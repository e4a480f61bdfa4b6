package io.kiln.agent.fault;

import io.kiln.agent.Agent;
import io.kiln.agent.api.AgentStatus;
import io.kiln.agent.dataplane.AgentLab;
import io.kiln.agent.dataplane.EchoServers;
import io.kiln.bpf.BpfMap;
import io.kiln.runtime.AttachedEndpoint;
import io.kiln.runtime.Attachment;
import io.kiln.runtime.Endpoint;
import io.kiln.runtime.EndpointLoader;
import io.kiln.runtime.PinLayout;
import io.kiln.runtime.TemplateObject;
import io.kiln.template.Parameters;
import io.kiln.template.TemplateDescriptor;
import io.kiln.templates.XdpPrefilterBpf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.kiln.agent.dataplane.AgentLab.endpoint;
import static io.kiln.agent.dataplane.AgentLab.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The XDP prefilter (the real xdp_prefilter template) on a live interface beside an endpoint's tc programs:
 * attached with its XDP link on lxc1, where endpoint 1's programs run on tc (tcx, or legacy tc in it/'s
 * legacy-tc run: the kernel matrix, docs/testing.md); a source on deny4 is audited, then dropped; a variant
 * swap under a UDP probe stream loses no probe; neither attach, swap nor detach touches the tc hooks.
 */
class XdpPrefilterKernelTest {
    private static final int UDP = 9000;

    @Test
    void prefilterAttachesBesideTheTcHooksSwapsUnderTrafficWithoutLossAndDetaches(@TempDir Path tmp) throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1, 2)) {
            lab.writeSpec("endpoints", "client.yaml", lab.endpointYaml(1, "{app: client}"));
            lab.writeSpec("endpoints", "web.yaml", lab.endpointYaml(2, "{app: web}"));
            lab.servers.udp(lab.ns(2), UDP);
            Agent agent = lab.start(lab.agent(lab.dataplane()).specDirectory(lab.specDir, Duration.ofSeconds(2)));
            AgentStatus st = lab.awaitReady(agent, 1, 2);
            Map<String, Integer> client = endpoint(st, 1).programIds();
            assertTrue(EchoServers.udpWorks(lab.ns(1), ip(2), UDP));

            TemplateDescriptor t = AgentLab.catalog().find(XdpPrefilterBpf.TEMPLATE).orElseThrow();
            TemplateObject v4 = AgentLab.objects().get(t, Parameters.resolve(t, Map.of()));
            TemplateObject v6 = AgentLab.objects().get(t, Parameters.resolve(t, Map.of(XdpPrefilterBpf.Build.IPV6, true)));
            assertNotEquals(v4.digest(), v6.digest());
            Path pins = Path.of(lab.pinRoot + "-xdp");
            EndpointLoader loader = EndpointLoader.builder().pinRoot(pins).stateDir(tmp.resolve("xdp-state"))
                    .attachMode(AgentLab.attachMode()).build();
            try {
                Endpoint audit = new Endpoint(100, AgentLab.hostIf(1), Map.of("AUDIT_ONLY", new byte[] {1}),
                        lab.node.netns());
                AttachedEndpoint pf = loader.attach(v4, audit);
                lab.recordPrograms(pf.programIds().values());
                assertEquals(List.of(Attachment.Kind.XDP_LINK), pf.attachments().stream().map(Attachment::kind).toList());
                assertXdp(lab, pf);
                try (BpfMap deny = BpfMap.openPinned(new PinLayout(pins).nodeMap(XdpPrefilterBpf.Maps.DENY4))) {
                    deny.update(lpm4(ip(1), 32), new byte[4]);
                }
                assertTrue(EchoServers.udpWorks(lab.ns(1), ip(2), UDP), "AUDIT_ONLY: a denied source passes");

                // a new variant (ipv6=true), same constants, under a probe every 5 ms: not one probe unanswered
                UdpProbes.Result r;
                try (UdpProbes probes = UdpProbes.start("1->2", lab.ns(1).netns(), ip(2), UDP, Duration.ofMillis(5), 400)) {
                    Thread.sleep(300);
                    loader.swap(pf, v6, audit);
                    Thread.sleep(300);
                    r = probes.stop();
                }
                lab.recordPrograms(pf.programIds().values());
                assertTrue(r.sent() > 50, r.toString());
                assertEquals(0, r.longestUnansweredRun(), "the swap dropped probes: " + r);
                assertXdp(lab, pf);

                loader.swap(pf, v6, audit.withConstants(Map.of("AUDIT_ONLY", new byte[] {0})));
                lab.recordPrograms(pf.programIds().values());
                assertXdp(lab, pf);
                assertFalse(EchoServers.udpWorks(lab.ns(1), ip(2), UDP), "enforced: the denied source is dropped at XDP");
                assertTrue(lab.hooksIntact(1) && lab.hooksIntact(2), "the tc hooks kept their programs");
                assertEquals(client, endpoint(agent.reconciler().status(), 1).programIds(), "and nothing reloaded them");

                loader.detach(pf);
                assertFalse(lab.node.ip("link", "show", "dev", AgentLab.hostIf(1)).stdout().contains("prog/xdp"));
                assertTrue(lab.hooksIntact(1), "detaching XDP leaves tc alone");
                assertTrue(EchoServers.udpWorks(lab.ns(1), ip(2), UDP));
            } finally {
                loader.uninstall();
                if (Files.exists(pins)) {
                    try (Stream<Path> s = Files.walk(pins)) {
                        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                            Files.delete(p);
                        }
                    }
                }
            }
            AgentLab.assertAttachedAsForced(lab.pinRoot, lab.stateDir, 1, 2);
        }
    }

    /** lxc1 runs the prefilter's current program at XDP (as ip link shows it). */
    private static void assertXdp(AgentLab lab, AttachedEndpoint pf) {
        String link = lab.node.ip("link", "show", "dev", AgentLab.hostIf(1)).stdout();
        assertTrue(link.contains("prog/xdp id " + pf.programIds().get(XdpPrefilterBpf.Programs.PREFILTER)), link);
    }

    /** An lpm_trie key: prefix length in host order, then the address in network order. */
    private static byte[] lpm4(String address, int prefix) throws Exception {
        return ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putInt(prefix)
                .put(InetAddress.getByName(address).getAddress()).array();
    }
}
