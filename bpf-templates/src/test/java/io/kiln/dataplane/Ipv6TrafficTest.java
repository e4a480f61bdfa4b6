package io.kiln.dataplane;

import static io.kiln.dataplane.EndpointMaps.ALLOW;
import static io.kiln.dataplane.EndpointMaps.DIR_EGRESS;
import static io.kiln.dataplane.EndpointMaps.DIR_INGRESS;
import static io.kiln.dataplane.EndpointMaps.IDENTITY_ANY;
import static io.kiln.dataplane.EndpointMaps.METRICS_PACKETS;
import static io.kiln.lab.Packets.IPPROTO_UDP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.dataplane.TrafficNode.Ep;
import io.kiln.templates.EndpointBpf.DropReason;
import io.kiln.testing.KernelRequirements;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real IPv6 between two endpoints' namespaces (ipv6=true, both tiers): each endpoint has only its
 * /64 address and a default route via fe80::1, and the host side has no IPv6 address at all, so
 * neighbour resolution works only because the ND responder answers (for the gateway and for the
 * other endpoint's on-link address) with NODE_MAC; then policy and local delivery carry the flow.
 */
class Ipv6TrafficTest {
    private static final int PORT = 5353;

    private static long packets(Ep e, int dir, DropReason r) {
        return e.map("metrics").sumU64(EndpointMaps.metricsKey(dir, r), METRICS_PACKETS);
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void udpFlowsOverIpv6ThroughTheNdResponderAndPolicy(String configSource) throws Exception {
        KernelRequirements.assumeKernel();
        KernelRequirements.assumeTools("ip");
        try (TrafficNode node = TrafficNode.create(2, "ipv6", true, "configSource", configSource);
             Servers servers = new Servers()) {
            Ep a = node.endpoint(1);
            Ep b = node.endpoint(2);
            Fixture.policy(a.map("policy"), IDENTITY_ANY, 0, 0, DIR_EGRESS, ALLOW);
            Fixture.policy(b.map("policy"), a.values().identity(), PORT, IPPROTO_UDP, DIR_INGRESS, ALLOW);
            servers.udpEcho(b.ns(), PORT, "ep2");

            // on-link: A asks for B's address itself; the first datagram may wait for that answer
            int got = 0;
            for (int i = 0; i < 20 && got == 0; i++) {
                got = Servers.udpExchange(a.ns(), b.values().ipv6(), PORT, 1, 32, 500);
            }
            assertEquals(1, got, "a first IPv6 exchange A -> B");
            assertEquals(10, Servers.udpExchange(a.ns(), b.values().ipv6(), PORT, 10, 32, Servers.TIMEOUT_MILLIS));

            String neigh = a.ns().ip("-6", "neigh", "show", "dev", "eth0").stdout();
            assertTrue(neigh.contains(b.values().ipv6() + " lladdr " + a.values().nodeMac()), neigh);
            assertTrue(packets(a, DIR_EGRESS, DropReason.ND_REPLIED) >= 1, "A's solicitation was answered here");
            assertTrue(packets(a, DIR_EGRESS, DropReason.REDIRECTED) >= 11, "delivered to B's veth directly");
            assertTrue(packets(b, DIR_INGRESS, DropReason.FORWARDED) >= 11);

            // off-link: through the gateway fe80::1, which exists only as the responder's answer
            a.ns().ip("-6", "route", "add", "2001:3::/64", "via", TrafficNode.GATEWAY6, "dev", "eth0");
            // a datagram off the link makes A resolve its gateway (the host drops it: IPv6 is off there)
            Servers.udpExchange(a.ns(), "2001:3::1", PORT, 1, 32, 300);
            String gw = a.ns().ip("-6", "neigh", "show", TrafficNode.GATEWAY6, "dev", "eth0").stdout();
            assertTrue(gw.contains("lladdr " + a.values().nodeMac()), "the gateway resolves to NODE_MAC: " + gw);

            // B may not send to A: its policy has no egress rule allowing it, and A's has no ingress
            long denied = packets(a, DIR_INGRESS, DropReason.POLICY_DENIED) + packets(b, DIR_EGRESS, DropReason.POLICY_DENIED);
            assertEquals(0, Servers.udpExchange(b.ns(), a.values().ipv6(), PORT, 3, 32, 300));
            assertTrue(packets(a, DIR_INGRESS, DropReason.POLICY_DENIED) + packets(b, DIR_EGRESS, DropReason.POLICY_DENIED)
                    > denied, "denied by policy, counted");
        }
    }
}
