package io.kiln.dataplane;

import io.kiln.bpf.RingBuffer;
import io.kiln.templates.DnsEvent;
import io.kiln.templates.EndpointBpf.DropReason;
import io.kiln.testing.TemplateUnderTest;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.kiln.dataplane.EndpointMaps.ALLOW;
import static io.kiln.dataplane.EndpointMaps.DIR_EGRESS;
import static io.kiln.dataplane.EndpointMaps.DIR_INGRESS;
import static io.kiln.dataplane.Fixture.EP;
import static io.kiln.dataplane.Fixture.REMOTE;
import static io.kiln.dataplane.Fixture.REMOTE_IDENTITY;
import static io.kiln.dataplane.Fixture.fromEndpoint;
import static io.kiln.dataplane.Fixture.load;
import static io.kiln.dataplane.Fixture.packets;
import static io.kiln.dataplane.Fixture.policy;
import static io.kiln.dataplane.Fixture.toEndpoint;
import static io.kiln.lab.Packets.IPPROTO_TCP;
import static io.kiln.lab.Packets.IPPROTO_UDP;
import static io.kiln.lab.Packets.TCP_ACK;
import static io.kiln.lab.Packets.TCP_SYN;
import static io.kiln.testing.TestRun.TC_ACT_OK;
import static io.kiln.testing.TestRun.TC_ACT_SHOT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * DNS learning (dns.h): answers toward the endpoint are held in the ring for the agent while its
 * heartbeat is fresh, passed when re-delivered with the mark, and passed or dropped per the
 * agent's mode when its heartbeat is stale; nothing of it with dnsLearning=false.
 */
class EndpointDnsHoldTest {
    private static final long SECOND = 1_000_000_000L;

    private static List<DnsEvent> drain(TemplateUnderTest t) {
        List<DnsEvent> out = new ArrayList<>();
        try (RingBuffer ring = RingBuffer.open(t.map("dns_events").bpf(), r -> out.add(DnsEvent.decode(r)))) {
            ring.consume();
        }
        return out;
    }

    private static long stat(TemplateUnderTest t, DnsEvent.Stat s) {
        return t.map("dns_stats").sumU64(s.key(), 0);
    }

    private static void agent(TemplateUnderTest t, long heartbeat, boolean failClosed) {
        t.map("dns_agent").put(new byte[4], DnsEvent.agentValue(heartbeat, SECOND, failClosed));
    }

    /** A query to REMOTE:53 from port 40000, admitted by egress policy, so its answer is a reply. */
    private static TemplateUnderTest withQuery(boolean learning) {
        TemplateUnderTest t = load("loadBalancing", false, "dnsLearning", learning);
        policy(t, REMOTE_IDENTITY, 53, IPPROTO_UDP, DIR_EGRESS, ALLOW);
        policy(t, REMOTE_IDENTITY, 53, IPPROTO_TCP, DIR_EGRESS, ALLOW);
        t.run("from_endpoint", fromEndpoint(REMOTE).udp(40000, 53).payload(30).build()).assertVerdict(TC_ACT_OK);
        return t;
    }

    @Test
    void aFreshAgentGetsTheWholeAnswerAndTheFrameIsHeldUntilItComesBackMarked() {
        try (TemplateUnderTest t = withQuery(true)) {
            byte[] answer = toEndpoint(REMOTE).udp(53, 40000).payload(300).build();
            agent(t, System.nanoTime(), false);
            t.run("to_endpoint", answer).assertVerdict(TC_ACT_SHOT);
            assertEquals(1, packets(t, DIR_INGRESS, DropReason.DNS_HELD));
            List<DnsEvent> held = drain(t);
            assertEquals(1, held.size());
            DnsEvent e = held.get(0);
            assertArrayEquals(answer, e.frame(), "the frame, whole");
            assertEquals(EP.id(), e.endpointId());
            assertEquals(4, e.family());
            assertEquals(IPPROTO_UDP, e.proto());
            assertEquals(14 + 20, e.l4Offset());
            assertEquals(300, e.dnsMessage().length);
            assertEquals(1, stat(t, DnsEvent.Stat.HELD));

            t.run("to_endpoint", answer, DnsEvent.MARK_REDELIVERED).assertVerdict(TC_ACT_OK);
            assertEquals(1, stat(t, DnsEvent.Stat.REDELIVERED));
            assertEquals(List.of(), drain(t), "a re-delivered answer is not held again");
            // another mark is no re-delivery
            t.run("to_endpoint", answer, 7).assertVerdict(TC_ACT_SHOT);
            assertEquals(1, drain(t).size());
            // not an answer: from another port
            t.run("from_endpoint", fromEndpoint(REMOTE).udp(40001, 53).build()).assertVerdict(TC_ACT_OK);
            policy(t, REMOTE_IDENTITY, 5353, IPPROTO_UDP, DIR_EGRESS, ALLOW);
            t.run("from_endpoint", fromEndpoint(REMOTE).udp(40002, 5353).build()).assertVerdict(TC_ACT_OK);
            t.run("to_endpoint", toEndpoint(REMOTE).udp(5353, 40002).payload(40).build()).assertVerdict(TC_ACT_OK);
            assertEquals(List.of(), drain(t));
        }
    }

    @Test
    void tcpSegmentsWithPayloadAreHeldAndTheHandshakeIsNot() {
        try (TemplateUnderTest t = withQuery(true)) {
            agent(t, System.nanoTime(), false);
            t.run("from_endpoint", fromEndpoint(REMOTE).tcp(40010, 53, TCP_SYN).build()).assertVerdict(TC_ACT_OK);
            t.run("to_endpoint", toEndpoint(REMOTE).tcp(53, 40010, TCP_SYN | TCP_ACK).build()).assertVerdict(TC_ACT_OK);
            // with options (a SYN-ACK's MSS, SACK, timestamps: 20 bytes; an ACK's timestamps: 12) and no payload
            for (int options : new int[] {20, 12}) {
                byte[] nops = new byte[options];
                java.util.Arrays.fill(nops, (byte) 1); // NOP
                byte[] bare = toEndpoint(REMOTE).tcp(53, 40010, options == 20 ? TCP_SYN | TCP_ACK : TCP_ACK)
                        .payload(nops).build();
                bare[34 + 12] = (byte) ((20 + options) / 4 << 4); // data offset: the options are header
                t.run("to_endpoint", bare).assertVerdict(TC_ACT_OK);
            }
            assertEquals(List.of(), drain(t), "no segment without payload is held");
            byte[] msg = new byte[2 + 40];
            msg[1] = 40;
            byte[] seg = toEndpoint(REMOTE).tcp(53, 40010, TCP_ACK).payload(msg).build();
            t.run("to_endpoint", seg).assertVerdict(TC_ACT_SHOT);
            List<DnsEvent> held = drain(t);
            assertEquals(1, held.size());
            assertEquals(IPPROTO_TCP, held.get(0).proto());
            assertEquals(40, held.get(0).dnsMessage().length, "one whole message after its length prefix");
            byte[] part = new byte[2 + 40];
            part[1] = 100; // a message of 100 bytes, 40 of them here
            DnsEvent partial = new DnsEvent(1, 1, 4, IPPROTO_TCP, 34, 0,
                    toEndpoint(REMOTE).tcp(53, 40010, TCP_ACK).payload(part).build());
            assertNull(partial.dnsMessage());
        }
    }

    @Test
    void withAStaleHeartbeatFailOpenPassesAndFailClosedDrops() {
        try (TemplateUnderTest t = withQuery(true)) {
            byte[] answer = toEndpoint(REMOTE).udp(53, 40000).payload(100).build();
            // no heartbeat ever: open
            t.run("to_endpoint", answer).assertVerdict(TC_ACT_OK);
            assertEquals(1, stat(t, DnsEvent.Stat.AGENT_DOWN_PASSED));
            agent(t, System.nanoTime() - 5 * SECOND, false);
            t.run("to_endpoint", answer).assertVerdict(TC_ACT_OK);
            assertEquals(2, stat(t, DnsEvent.Stat.AGENT_DOWN_PASSED));
            agent(t, System.nanoTime() - 5 * SECOND, true);
            t.run("to_endpoint", answer).assertVerdict(TC_ACT_SHOT);
            assertEquals(1, packets(t, DIR_INGRESS, DropReason.DNS_AGENT_DOWN));
            assertEquals(1, stat(t, DnsEvent.Stat.AGENT_DOWN_DROPPED));
            assertEquals(List.of(), drain(t), "nothing for an agent that does not read");
            // the agent is back
            agent(t, System.nanoTime(), true);
            t.run("to_endpoint", answer).assertVerdict(TC_ACT_SHOT);
            assertEquals(1, drain(t).size());
            assertEquals(1, packets(t, DIR_INGRESS, DropReason.DNS_HELD));
        }
    }

    @Test
    void anAnswerLargerThanTheCaptureIsTreatedAsUnheld() {
        try (TemplateUnderTest t = withQuery(true)) {
            agent(t, System.nanoTime(), false);
            byte[] big = toEndpoint(REMOTE).udp(53, 40000).payload(DnsEvent.CAPTURE_MAX).build();
            t.run("to_endpoint", big).assertVerdict(TC_ACT_OK);
            assertEquals(1, stat(t, DnsEvent.Stat.TOO_BIG));
            agent(t, System.nanoTime(), true);
            t.run("to_endpoint", big).assertVerdict(TC_ACT_SHOT);
            assertEquals(1, packets(t, DIR_INGRESS, DropReason.DNS_AGENT_DOWN));
        }
    }

    @Test
    void offCompilesNothingIn() {
        try (TemplateUnderTest t = withQuery(false)) {
            agent(t, System.nanoTime(), true);
            t.run("to_endpoint", toEndpoint(REMOTE).udp(53, 40000).payload(100).build()).assertVerdict(TC_ACT_OK);
            assertEquals(0, stat(t, DnsEvent.Stat.HELD) + stat(t, DnsEvent.Stat.AGENT_DOWN_PASSED));
            assertEquals(List.of(), drain(t));
        }
    }
}
