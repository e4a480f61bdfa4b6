package io.kiln.agent.flow;

import io.kiln.lab.Packets;
import io.kiln.templates.EndpointDefines;
import io.kiln.templates.EndpointValues;
import io.kiln.templates.FlowEvent;
import io.kiln.testing.TemplateUnderTest;
import io.kiln.testing.TestRun;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Expired conntrack entries of both families are reported like the kernel's end events: entries
 * the endpoint template itself made (BPF_PROG_TEST_RUN), read back from its {@code conntrack} and
 * {@code conntrack6} maps by {@link ConntrackExpiry}.
 */
class ConntrackExpiryKernelTest {
    private static final Path ENDPOINT = Path.of("../../bpf-templates/src/main/bpf/endpoint");
    private static final EndpointValues EP = new EndpointValues(12, 3001, "198.18.0.12", "2001:2::c",
            "02:00:00:00:00:0c", "02:00:00:00:00:01", 7, "198.18.0.1");
    private static final String REMOTE4 = "198.18.0.20";
    private static final String REMOTE6 = "2001:2::20";
    /** UDP lives 60 s after its last packet (conntrack.h CT_LIFETIME_OTHER). */
    private static final long PAST_UDP_LIFETIME = 61_000_000_000L;

    @Test
    void expiredIpv6AndIpv4FlowsAreReportedOnceWithTheirCountersAndDeleted() throws Exception {
        try (TemplateUnderTest t = TemplateUnderTest.of(ENDPOINT)
                .parameters(Map.of("ipv6", true, "policyMode", "off", "loadBalancing", false))
                .constants(EP.constants()).load()) {
            byte[] out6 = Packets.ethernet(EP.mac(), EP.nodeMac()).ipv6(EP.ipv6(), REMOTE6).udp(41000, 53).payload(40)
                    .build();
            byte[] back6 = Packets.ethernet(EP.nodeMac(), EP.mac()).ipv6(REMOTE6, EP.ipv6()).udp(53, 41000).payload(90)
                    .build();
            byte[] out4 = Packets.ethernet(EP.mac(), EP.nodeMac()).ipv4(EP.ipv4(), REMOTE4).udp(42000, 123).payload(10)
                    .build();
            t.run("from_endpoint", out6, 0, 3).assertVerdict(TestRun.TC_ACT_OK);
            t.run("to_endpoint", back6, 0, 2).assertVerdict(TestRun.TC_ACT_OK);
            t.run("from_endpoint", out4).assertVerdict(TestRun.TC_ACT_OK);
            long made = System.nanoTime();

            List<FlowEvent> reported = new ArrayList<>();
            ConntrackExpiry expiry = new ConntrackExpiry(Path.of("/nonexistent/conntrack"),
                    Path.of("/nonexistent/conntrack6"), reported::add);
            assertEquals(0, expiry.scan(t.map("conntrack6").bpf(), 6, made), "nothing has expired yet");
            assertEquals(0, expiry.scan(), "maps not pinned: nothing to scan");

            assertEquals(1, expiry.scan(t.map("conntrack6").bpf(), 6, made + PAST_UDP_LIFETIME));
            assertEquals(1, reported.size(), reported.toString());
            FlowEvent e = reported.get(0);
            assertEquals(FlowEvent.Type.END, e.type());
            assertEquals(6, e.family());
            assertEquals(17, e.proto());
            assertEquals(EndpointDefines.DIR_EGRESS, e.dir(), "the endpoint opened it");
            assertEquals(EP.id(), e.endpointId());
            assertEquals(InetAddress.getByName(EP.ipv6()), e.saddr());
            assertEquals(InetAddress.getByName(REMOTE6), e.daddr());
            assertEquals(41000, e.sport());
            assertEquals(53, e.dport());
            assertEquals(3, e.packetsFwd());
            assertEquals(3L * out6.length, e.bytesFwd());
            assertEquals(2, e.packetsRev());
            assertEquals(2L * back6.length, e.bytesRev());
            assertTrue(e.firstSeen() > 0 && e.firstSeen() <= e.lastSeen() && e.lastSeen() <= made);
            assertTrue(t.map("conntrack6").bpf().keys().isEmpty(), "the expired entry was deleted");
            assertEquals(0, expiry.scan(t.map("conntrack6").bpf(), 6, made + PAST_UDP_LIFETIME), "reported once");

            assertEquals(1, expiry.scan(t.map("conntrack").bpf(), 4, made + PAST_UDP_LIFETIME), "IPv4 as before");
            assertEquals(2, reported.size());
            FlowEvent e4 = reported.get(1);
            assertEquals(4, e4.family());
            assertEquals(InetAddress.getByName(REMOTE4), e4.daddr());
            assertEquals(123, e4.dport());
            assertEquals(1, e4.packetsFwd());
            assertEquals(out4.length, e4.bytesFwd());
        }
    }
}
