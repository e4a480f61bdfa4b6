package io.kiln.dataplane;

import static io.kiln.dataplane.Fixture.EP;
import static io.kiln.dataplane.Fixture.load;
import static io.kiln.dataplane.Fixture.packets;
import static io.kiln.dataplane.EndpointMaps.DIR_EGRESS;
import static io.kiln.dataplane.EndpointMaps.DIR_INGRESS;
import static io.kiln.testing.TestRun.TC_ACT_OK;
import static io.kiln.testing.TestRun.TC_ACT_REDIRECT;
import static io.kiln.testing.TestRun.TC_ACT_SHOT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kiln.templates.EndpointBpf.DropReason;
import io.kiln.lab.PacketView;
import io.kiln.lab.Packets;
import io.kiln.testing.TemplateUnderTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The ARP responder answers for the gateway and the node's endpoints with NODE_MAC, and nothing else. */
class EndpointArpTest {
    private static final String NEIGHBOUR = "198.18.0.13";

    private static TemplateUnderTest arp(String configSource) {
        TemplateUnderTest t = load("configSource", configSource);
        t.map("endpoints").put(EndpointMaps.endpointKey(NEIGHBOUR), EndpointMaps.endpointInfo(9, "02:00:00:00:00:0d", 13));
        return t;
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void answersForTheGatewayAndLocalEndpointsThroughTheEndpointsOwnVeth(String configSource) {
        try (TemplateUnderTest t = arp(configSource)) {
            for (String asked : new String[] {EP.gatewayIpv4(), NEIGHBOUR}) {
                PacketView reply = t.run("from_endpoint", Packets.arpRequest(EP.mac(), EP.ipv4(), asked))
                        .assertVerdict(TC_ACT_REDIRECT).view();
                assertEquals(EP.mac(), reply.ethDst());
                assertEquals(EP.nodeMac(), reply.ethSrc());
                assertEquals(Packets.ARP_REPLY, reply.arpOp());
                assertEquals(EP.nodeMac(), reply.arpSenderMac());
                assertEquals(asked, reply.arpSenderIp());
                assertEquals(EP.mac(), reply.arpTargetMac());
                assertEquals(EP.ipv4(), reply.arpTargetIp());
            }
            assertEquals(2, packets(t, DIR_EGRESS, DropReason.ARP_REPLIED));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void passesWhatItDoesNotAnswerUnchanged(String configSource) {
        try (TemplateUnderTest t = arp(configSource)) {
            byte[][] passing = {
                    Packets.arpRequest(EP.mac(), EP.ipv4(), "198.18.0.99"),           // nobody we know
                    Packets.arpRequest(EP.mac(), EP.ipv4(), EP.ipv4()),               // its own address
                    Packets.arpRequest(EP.mac(), "0.0.0.0", EP.gatewayIpv4()),        // a probe
                    Packets.arpReply(EP.mac(), EP.ipv4(), EP.nodeMac(), EP.gatewayIpv4()),
            };
            for (byte[] frame : passing) {
                assertArrayEquals(frame, t.run("from_endpoint", frame).assertVerdict(TC_ACT_OK).packet());
            }
            byte[] fromHost = Packets.arpRequest(EP.nodeMac(), EP.gatewayIpv4(), EP.ipv4());
            t.run("to_endpoint", fromHost).assertVerdict(TC_ACT_OK);
            assertEquals(4, packets(t, DIR_EGRESS, DropReason.FORWARDED));
            assertEquals(1, packets(t, DIR_INGRESS, DropReason.FORWARDED));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void dropsRequestsThatClaimAnotherSender(String configSource) {
        try (TemplateUnderTest t = arp(configSource)) {
            t.run("from_endpoint", Packets.arpRequest(EP.mac(), "198.18.0.66", EP.gatewayIpv4())).assertVerdict(TC_ACT_SHOT);
            // Ethernet source right, ARP sender hardware address wrong
            byte[] lying = Packets.arp(Packets.ARP_REQUEST, "02:00:00:00:00:66", EP.ipv4(), Packets.BROADCAST,
                    "00:00:00:00:00:00", EP.gatewayIpv4());
            System.arraycopy(io.kiln.lab.Addresses.mac(EP.mac()), 0, lying, 6, 6);
            t.run("from_endpoint", lying).assertVerdict(TC_ACT_SHOT);
            assertEquals(1, packets(t, DIR_EGRESS, DropReason.SPOOFED_IP));
            assertEquals(1, packets(t, DIR_EGRESS, DropReason.SPOOFED_MAC));
        }
    }
}
