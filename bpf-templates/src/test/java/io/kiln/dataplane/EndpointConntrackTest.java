package io.kiln.dataplane;

import io.kiln.templates.EndpointBpf.DropReason;
import io.kiln.dataplane.EndpointMaps.CtEntry;

import static io.kiln.dataplane.Fixture.EP;
import static io.kiln.dataplane.Fixture.REMOTE;
import static io.kiln.dataplane.Fixture.REMOTE_IDENTITY;
import static io.kiln.dataplane.Fixture.fromEndpoint;
import static io.kiln.dataplane.Fixture.load;
import static io.kiln.dataplane.Fixture.packets;
import static io.kiln.dataplane.Fixture.policy;
import static io.kiln.dataplane.Fixture.toEndpoint;
import static io.kiln.dataplane.EndpointMaps.ALLOW;
import static io.kiln.dataplane.EndpointMaps.CT_KIND_EGRESS;
import static io.kiln.dataplane.EndpointMaps.CT_KIND_INGRESS;
import static io.kiln.dataplane.EndpointMaps.DIR_EGRESS;
import static io.kiln.dataplane.EndpointMaps.DIR_INGRESS;
import static io.kiln.lab.Packets.IPPROTO_ICMP;
import static io.kiln.lab.Packets.IPPROTO_TCP;
import static io.kiln.lab.Packets.IPPROTO_UDP;
import static io.kiln.lab.Packets.TCP_ACK;
import static io.kiln.lab.Packets.TCP_FIN;
import static io.kiln.lab.Packets.TCP_SYN;
import static io.kiln.testing.TestRun.TC_ACT_OK;
import static io.kiln.testing.TestRun.TC_ACT_SHOT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.testing.TemplateUnderTest;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Connection tracking: replies pass without a policy entry, entries expire, TCP close shortens them. */
class EndpointConntrackTest {
    private static TemplateUnderTest tracked(String configSource) {
        return load("loadBalancing", false, "configSource", configSource);
    }

    private static CtEntry entry(TemplateUnderTest t, byte[] key) {
        return CtEntry.decode(t.map("conntrack").get(key).orElseThrow(() -> new AssertionError("no conntrack entry")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void replyToAnAllowedConnectionPassesWithoutAnIngressEntry(String configSource) {
        try (TemplateUnderTest t = tracked(configSource)) {
            policy(t, REMOTE_IDENTITY, 80, IPPROTO_TCP, DIR_EGRESS, ALLOW);
            long before = System.nanoTime();
            t.run("from_endpoint", fromEndpoint(REMOTE).tcp(40000, 80, TCP_SYN).build()).assertVerdict(TC_ACT_OK);

            byte[] key = EndpointMaps.ctKey4(EP.ipv4(), REMOTE, 40000, 80, IPPROTO_TCP, CT_KIND_EGRESS);
            CtEntry e = entry(t, key);
            assertEquals(EP.id(), e.endpointId());
            assertEquals(TCP_SYN, e.tcpFlags());
            assertEquals(0, e.serviceId());
            long lifetime = e.expires() - before;
            assertTrue(lifetime > TimeUnit.SECONDS.toNanos(59) && lifetime < TimeUnit.SECONDS.toNanos(61),
                    "a SYN-only entry lives 60 s, got " + lifetime + " ns");

            t.run("to_endpoint", toEndpoint(REMOTE).tcp(80, 40000, TCP_SYN | TCP_ACK).build()).assertVerdict(TC_ACT_OK);
            t.run("from_endpoint", fromEndpoint(REMOTE).tcp(40000, 80, TCP_ACK).build()).assertVerdict(TC_ACT_OK);
            long established = entry(t, key).expires() - System.nanoTime();
            assertTrue(established > TimeUnit.HOURS.toNanos(5), "an established entry lives 6 h, got " + established);

            // the same remote, another port, is no reply: policy decides and denies
            t.run("to_endpoint", toEndpoint(REMOTE).tcp(81, 40000, TCP_SYN | TCP_ACK).build()).assertVerdict(TC_ACT_SHOT);
            assertEquals(2, packets(t, DIR_EGRESS, DropReason.FORWARDED));
            assertEquals(1, packets(t, DIR_INGRESS, DropReason.FORWARDED));
            assertEquals(1, packets(t, DIR_INGRESS, DropReason.POLICY_DENIED));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void theEndpointsRepliesToAnIngressConnectionPass(String configSource) {
        try (TemplateUnderTest t = tracked(configSource)) {
            policy(t, REMOTE_IDENTITY, 53, IPPROTO_UDP, DIR_INGRESS, ALLOW);
            t.run("to_endpoint", toEndpoint(REMOTE).udp(5000, 53).build()).assertVerdict(TC_ACT_OK);
            assertTrue(t.map("conntrack").contains(
                    EndpointMaps.ctKey4(REMOTE, EP.ipv4(), 5000, 53, IPPROTO_UDP, CT_KIND_INGRESS)));
            t.run("from_endpoint", fromEndpoint(REMOTE).udp(53, 5000).build()).assertVerdict(TC_ACT_OK);
            t.run("from_endpoint", fromEndpoint(REMOTE).udp(53, 5001).build()).assertVerdict(TC_ACT_SHOT);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void icmpEchoReplyMatchesItsRequest(String configSource) {
        try (TemplateUnderTest t = tracked(configSource)) {
            policy(t, REMOTE_IDENTITY, 0, IPPROTO_ICMP, DIR_EGRESS, ALLOW);
            t.run("from_endpoint", fromEndpoint(REMOTE).echoRequest(77, 1).build()).assertVerdict(TC_ACT_OK);
            t.run("to_endpoint", toEndpoint(REMOTE).echoReply(77, 1).build()).assertVerdict(TC_ACT_OK);
            t.run("to_endpoint", toEndpoint(REMOTE).echoReply(78, 1).build()).assertVerdict(TC_ACT_SHOT);
            // an unsolicited echo reply opens nothing
            assertFalse(t.map("conntrack").contains(
                    EndpointMaps.ctKey4(REMOTE, EP.ipv4(), 0, 78, IPPROTO_ICMP, CT_KIND_INGRESS)));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void anExpiredEntryCountsAsAbsent(String configSource) {
        try (TemplateUnderTest t = tracked(configSource)) {
            policy(t, REMOTE_IDENTITY, 80, IPPROTO_TCP, DIR_EGRESS, ALLOW);
            t.run("from_endpoint", fromEndpoint(REMOTE).tcp(40000, 80, TCP_SYN).build()).assertVerdict(TC_ACT_OK);
            byte[] key = EndpointMaps.ctKey4(EP.ipv4(), REMOTE, 40000, 80, IPPROTO_TCP, CT_KIND_EGRESS);
            // bpf_ktime_get_ns() is CLOCK_MONOTONIC, Java's System.nanoTime() on Linux
            t.map("conntrack").put(key, entry(t, key).withExpires(System.nanoTime() - 1).encode());
            t.run("to_endpoint", toEndpoint(REMOTE).tcp(80, 40000, TCP_SYN | TCP_ACK).build()).assertVerdict(TC_ACT_SHOT);
            assertEquals(1, packets(t, DIR_INGRESS, DropReason.POLICY_DENIED));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void finMovesTheEntryToTheClosingLifetimeAndANewSynRestartsIt(String configSource) {
        try (TemplateUnderTest t = tracked(configSource)) {
            policy(t, REMOTE_IDENTITY, 80, IPPROTO_TCP, DIR_EGRESS, ALLOW);
            byte[] key = EndpointMaps.ctKey4(EP.ipv4(), REMOTE, 40000, 80, IPPROTO_TCP, CT_KIND_EGRESS);
            t.run("from_endpoint", fromEndpoint(REMOTE).tcp(40000, 80, TCP_SYN).build());
            t.run("to_endpoint", toEndpoint(REMOTE).tcp(80, 40000, TCP_SYN | TCP_ACK).build());
            t.run("to_endpoint", toEndpoint(REMOTE).tcp(80, 40000, TCP_FIN | TCP_ACK).build()).assertVerdict(TC_ACT_OK);
            long closing = entry(t, key).expires() - System.nanoTime();
            assertTrue(closing > 0 && closing <= TimeUnit.SECONDS.toNanos(10), "closing lifetime 10 s, got " + closing);
            assertTrue((entry(t, key).tcpFlags() & TCP_FIN) != 0);

            t.run("from_endpoint", fromEndpoint(REMOTE).tcp(40000, 80, TCP_SYN).build()).assertVerdict(TC_ACT_OK);
            assertEquals(TCP_SYN, entry(t, key).tcpFlags(), "a SYN on a closing entry starts it afresh");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void withoutConntrackAReplyNeedsItsOwnEntry(String configSource) {
        try (TemplateUnderTest t = load("connectionTracking", false, "loadBalancing", false, "configSource", configSource)) {
            policy(t, REMOTE_IDENTITY, 80, IPPROTO_TCP, DIR_EGRESS, ALLOW);
            t.run("from_endpoint", fromEndpoint(REMOTE).tcp(40000, 80, TCP_SYN).build()).assertVerdict(TC_ACT_OK);
            t.run("to_endpoint", toEndpoint(REMOTE).tcp(80, 40000, TCP_SYN | TCP_ACK).build()).assertVerdict(TC_ACT_SHOT);
            assertEquals(0, t.map("conntrack").size());
        }
    }
}
