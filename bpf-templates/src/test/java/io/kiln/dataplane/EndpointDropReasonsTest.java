package io.kiln.dataplane;

import static io.kiln.dataplane.Fixture.EP;
import static io.kiln.dataplane.Fixture.REMOTE;
import static io.kiln.dataplane.Fixture.allPackets;
import static io.kiln.dataplane.Fixture.bytes;
import static io.kiln.dataplane.Fixture.fromEndpoint;
import static io.kiln.dataplane.Fixture.load;
import static io.kiln.dataplane.Fixture.packets;
import static io.kiln.dataplane.Fixture.toEndpoint;
import static io.kiln.dataplane.EndpointMaps.DIR_EGRESS;
import static io.kiln.dataplane.EndpointMaps.DIR_INGRESS;
import static io.kiln.dataplane.EndpointMaps.METRICS_PACKETS;
import static io.kiln.testing.TestRun.TC_ACT_OK;
import static org.junit.jupiter.api.Assertions.assertTrue;
import io.kiln.testing.TestMap;
import static io.kiln.testing.TestRun.TC_ACT_SHOT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kiln.templates.EndpointBpf.DropReason;
import io.kiln.lab.Packets;
import io.kiln.testing.TemplateUnderTest;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every drop has a reason, counted once with the packet's length, in the direction it was seen. */
class EndpointDropReasonsTest {
    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void eachMalformedOrForbiddenPacketIsCountedUnderItsReason(String configSource) {
        try (TemplateUnderTest t = load("configSource", configSource)) {
            Map<byte[], DropReason> egress = new LinkedHashMap<>();
            egress.put(Packets.ethernet("02:00:00:00:00:66", EP.nodeMac()).ipv4(EP.ipv4(), REMOTE).udp(1, 2).build(),
                    DropReason.SPOOFED_MAC);
            egress.put(Packets.ethernet(EP.mac(), EP.nodeMac()).ipv4("198.18.0.66", REMOTE).udp(1, 2).build(),
                    DropReason.SPOOFED_IP);
            egress.put(Packets.ethernet(EP.mac(), EP.nodeMac()).raw(0x88cc, new byte[46]).build(), DropReason.UNSUPPORTED_L3);
            egress.put(Packets.ethernet(EP.mac(), EP.nodeMac()).ipv6(EP.ipv6(), "2001:2::20").udp(1, 2).build(),
                    DropReason.UNSUPPORTED_L3); // ipv6=false
            egress.put(fromEndpoint(REMOTE).fragment(8, false).udp(1, 2).build(), DropReason.FRAGMENT);
            egress.put(fromEndpoint(REMOTE).fragment(0, true).udp(1, 2).build(), DropReason.FRAGMENT);
            byte[] gre = fromEndpoint(REMOTE).udp(1, 2).build();
            gre[14 + 9] = 47; // protocol GRE (the header checksum is not what the program checks)
            egress.put(gre, DropReason.UNSUPPORTED_L4);
            // (test-run refuses a frame whose IPv4 header is cut short, so the header is whole but lies)
            byte[] badIhl = fromEndpoint(REMOTE).udp(1, 2).build();
            badIhl[14] = 0x44; // IHL 4: shorter than the minimum header
            egress.put(badIhl, DropReason.MALFORMED);
            byte[] notV4 = fromEndpoint(REMOTE).udp(1, 2).build();
            notV4[14] = 0x65; // version 6 behind an IPv4 EtherType
            egress.put(notV4, DropReason.MALFORMED);
            byte[] shortUdp = Arrays.copyOf(fromEndpoint(REMOTE).udp(1, 2).build(), 14 + 20 + 2);
            egress.put(shortUdp, DropReason.MALFORMED);
            byte[] shortTcp = Arrays.copyOf(fromEndpoint(REMOTE).tcp(1, 2, Packets.TCP_SYN).build(), 14 + 20 + 8);
            egress.put(shortTcp, DropReason.MALFORMED);
            egress.put(fromEndpoint(REMOTE).udp(1, 2).build(), DropReason.POLICY_DENIED);

            Map<DropReason, long[]> expected = new LinkedHashMap<>();
            for (Map.Entry<byte[], DropReason> e : egress.entrySet()) {
                t.run("from_endpoint", e.getKey()).assertVerdict(TC_ACT_SHOT);
                long[] c = expected.computeIfAbsent(e.getValue(), r -> new long[2]);
                c[0]++;
                c[1] += e.getKey().length;
            }
            for (Map.Entry<DropReason, long[]> e : expected.entrySet()) {
                assertEquals(e.getValue()[0], packets(t, DIR_EGRESS, e.getKey()), e.getKey() + " packets");
                assertEquals(e.getValue()[1], bytes(t, DIR_EGRESS, e.getKey()), e.getKey() + " bytes");
            }
            assertEquals(egress.size(), allPackets(t, DIR_EGRESS), "every packet counted exactly once");
            assertEquals(0, allPackets(t, DIR_INGRESS));

            t.run("to_endpoint", toEndpoint(REMOTE).fragment(1, false).udp(1, 2).build()).assertVerdict(TC_ACT_SHOT);
            t.run("to_endpoint", Packets.ethernet(EP.nodeMac(), EP.mac()).raw(0x8100, new byte[46]).build())
                    .assertVerdict(TC_ACT_SHOT);
            assertEquals(1, packets(t, DIR_INGRESS, DropReason.FRAGMENT));
            assertEquals(1, packets(t, DIR_INGRESS, DropReason.UNSUPPORTED_L3));
            assertEquals(2, allPackets(t, DIR_INGRESS));
        }
    }

    @Test
    void tier0DropsWhatArrivesOnAnInterfaceItHasNoEntryFor() {
        try (TemplateUnderTest t = Fixture.endpoint("configSource", "node").load()) {
            Fixture.tier0(t, false); // the second endpoint is registered, EP's interface is not
            t.run("from_endpoint", Packets.arpRequest(EP.mac(), EP.ipv4(), EP.gatewayIpv4())).assertVerdict(TC_ACT_SHOT);
            t.run("to_endpoint", toEndpoint(REMOTE).udp(1, 2).build()).assertVerdict(TC_ACT_SHOT);
            // no endpoint to count them under: the node's unattributed counters have them
            TestMap unattributed = t.map("unattributed_metrics");
            assertEquals(1, unattributed.sumU64(EndpointMaps.metricsKey(DIR_EGRESS, DropReason.CONFIG_MISSING), METRICS_PACKETS));
            assertEquals(1, unattributed.sumU64(EndpointMaps.metricsKey(DIR_INGRESS, DropReason.CONFIG_MISSING), METRICS_PACKETS));
            assertEquals(0, allPackets(t, DIR_EGRESS) + allPackets(t, DIR_INGRESS));
        }
    }

    @Test
    void tier0DropsWhenTheEndpointHasNoPolicyMapEvenInAudit() {
        for (String mode : new String[] {"enforce", "audit"}) {
            try (TemplateUnderTest t = Fixture.load("configSource", "node", "connectionTracking", false,
                    "loadBalancing", false, "policyMode", mode)) {
                Fixture.policy(t, EndpointMaps.IDENTITY_ANY, 0, 0, DIR_EGRESS, EndpointMaps.ALLOW);
                t.run("from_endpoint", fromEndpoint(REMOTE).udp(1, 2).build()).assertVerdict(TC_ACT_OK);
                assertTrue(t.map("policy_maps").bpf().delete(EndpointMaps.endpointIdKey(EP.id())));
                t.run("from_endpoint", fromEndpoint(REMOTE).udp(1, 2).build()).assertVerdict(TC_ACT_SHOT);
                assertEquals(1, packets(t, DIR_EGRESS, DropReason.POLICY_MAP_MISSING), mode);
                assertEquals(2, allPackets(t, DIR_EGRESS), mode);
            }
        }
    }
}
