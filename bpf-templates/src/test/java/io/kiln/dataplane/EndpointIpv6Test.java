package io.kiln.dataplane;

import static io.kiln.dataplane.Fixture.EP;
import static io.kiln.dataplane.Fixture.load;
import static io.kiln.dataplane.Fixture.packets;
import static io.kiln.dataplane.Fixture.policy;
import static io.kiln.dataplane.EndpointMaps.ALLOW;
import static io.kiln.dataplane.EndpointMaps.DIR_EGRESS;
import static io.kiln.dataplane.EndpointMaps.DIR_INGRESS;
import static io.kiln.lab.Packets.IPPROTO_TCP;
import static io.kiln.lab.Packets.TCP_ACK;
import static io.kiln.lab.Packets.TCP_SYN;
import static io.kiln.testing.TestRun.TC_ACT_OK;
import static io.kiln.testing.TestRun.TC_ACT_REDIRECT;
import static io.kiln.testing.TestRun.TC_ACT_SHOT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kiln.templates.EndpointBpf.DropReason;
import io.kiln.lab.PacketView;
import io.kiln.lab.Packets;
import io.kiln.testing.TemplateUnderTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The IPv6 path (ipv6=true): source check, policy through ipcache6, conntrack6, ND, local delivery. */
class EndpointIpv6Test {
    private static final String REMOTE6 = "2001:2::20";
    private static final String NEIGHBOUR6 = "2001:2::d";

    private static Packets.Builder from(String dst) {
        return Packets.ethernet(EP.mac(), EP.nodeMac()).ipv6(EP.ipv6(), dst);
    }

    private static Packets.Builder to(String src) {
        return Packets.ethernet(EP.nodeMac(), EP.mac()).ipv6(src, EP.ipv6());
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void policyConntrackAndDeliveryWorkForIpv6(String configSource) {
        try (TemplateUnderTest t = load("ipv6", true, "configSource", configSource)) {
            t.map("ipcache6").put(EndpointMaps.lpmKey(REMOTE6 + "/128"), EndpointMaps.identityValue(4000));
            policy(t, 4000, 443, IPPROTO_TCP, DIR_EGRESS, ALLOW);

            t.run("from_endpoint", from(REMOTE6).tcp(40000, 443, TCP_SYN).build()).assertVerdict(TC_ACT_OK);
            t.run("from_endpoint", from(REMOTE6).tcp(40000, 444, TCP_SYN).build()).assertVerdict(TC_ACT_SHOT);
            t.run("to_endpoint", to(REMOTE6).tcp(443, 40000, TCP_SYN | TCP_ACK).build()).assertVerdict(TC_ACT_OK);
            t.run("to_endpoint", to(REMOTE6).tcp(443, 40001, TCP_SYN | TCP_ACK).build()).assertVerdict(TC_ACT_SHOT);
            t.run("from_endpoint", Packets.ethernet(EP.mac(), EP.nodeMac()).ipv6("2001:2::66", REMOTE6).udp(1, 2).build())
                    .assertVerdict(TC_ACT_SHOT);
            // neighbor solicitation passes without policy, even from an unspecified source
            t.run("from_endpoint", Packets.ethernet(EP.mac(), "33:33:ff:00:00:01").ipv6("::", "ff02::1:ff00:1")
                    .icmp(135, 0, 0).payload(20).build()).assertVerdict(TC_ACT_OK);

            t.map("endpoints6").put(EndpointMaps.endpointKey(NEIGHBOUR6), EndpointMaps.endpointInfo(9, "02:00:00:00:00:0d", 13));
            policy(t, EndpointMaps.IDENTITY_WORLD, 0, 0, DIR_EGRESS, ALLOW);
            PacketView out = t.run("from_endpoint", from(NEIGHBOUR6).ttl(5).udp(1000, 2000).payload(8).build())
                    .assertVerdict(TC_ACT_REDIRECT).view().assertChecksumsValid();
            assertEquals(4, out.ttl());
            assertEquals("02:00:00:00:00:0d", out.ethDst());

            assertEquals(1, packets(t, DIR_EGRESS, DropReason.POLICY_DENIED));
            assertEquals(1, packets(t, DIR_EGRESS, DropReason.SPOOFED_IP));
            assertEquals(1, packets(t, DIR_INGRESS, DropReason.POLICY_DENIED));
            assertEquals(1, packets(t, DIR_EGRESS, DropReason.REDIRECTED));
        }
    }
}
