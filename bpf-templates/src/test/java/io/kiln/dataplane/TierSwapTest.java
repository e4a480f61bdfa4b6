package io.kiln.dataplane;

import static io.kiln.dataplane.EndpointMaps.ALLOW;
import static io.kiln.dataplane.EndpointMaps.DIR_EGRESS;
import static io.kiln.dataplane.EndpointMaps.DIR_INGRESS;
import static io.kiln.dataplane.EndpointMaps.IDENTITY_ANY;
import static io.kiln.dataplane.EndpointMaps.METRICS_PACKETS;
import static io.kiln.lab.Packets.IPPROTO_UDP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.dataplane.TrafficNode.Ep;
import io.kiln.lab.UdpFlow;
import io.kiln.templates.EndpointBpf.DropReason;
import io.kiln.testing.KernelRequirements;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Two endpoints on one node share one loaded tier 0; a numbered UDP flow runs from one to the other
 * (local delivery by redirect) while both are swapped to their own tier-1 programs with link
 * updates. Every datagram sent arrives exactly once, and the flow tier 0 admitted keeps going on
 * tier 1 with its policy entry gone: the conntrack map is the same in both tiers.
 */
class TierSwapTest {
    private static final int PORT = 7070;
    private static final int RATE = 20_000;

    @Test
    void swapFromTier0ToTier1UnderANumberedFlowLosesAndDuplicatesNothing() throws Exception {
        KernelRequirements.assumeKernel();
        KernelRequirements.assumeTools("ip");
        try (TrafficNode node = TrafficNode.create(2, "configSource", "node", "loadBalancing", false)) {
            Ep a = node.endpoint(1);
            Ep b = node.endpoint(2);
            assertEquals(a.programs().programIds(), b.programs().programIds(), "both endpoints run one tier 0");
            Fixture.policy(a.map("policy"), IDENTITY_ANY, 0, 0, DIR_EGRESS, ALLOW);
            Fixture.policy(b.map("policy"), a.values().identity(), PORT, IPPROTO_UDP, DIR_INGRESS, ALLOW);

            UdpFlow.Result result;
            long[] swapNanos = new long[2];
            try (UdpFlow flow = UdpFlow.start(a.ns().netns(), b.ns().netns(), new InetSocketAddress(b.ip(), PORT), RATE,
                    2_000_000L, Duration.ofSeconds(30))) {
                assertTrue(flow.awaitReceived(2_000, Duration.ofSeconds(10)), "the flow runs on tier 0");
                // from now on only conntrack admits the flow at b
                assertTrue(b.map("policy").bpf().delete(EndpointMaps.policyKey(a.values().identity(), PORT, IPPROTO_UDP,
                        DIR_INGRESS)));
                swapNanos[0] = node.specialize(2);
                assertTrue(flow.awaitReceived(flow.receivedSoFar() + 2_000, Duration.ofSeconds(10)),
                        "the flow runs with b on tier 1");
                swapNanos[1] = node.specialize(1);
                assertTrue(flow.awaitReceived(flow.receivedSoFar() + 2_000, Duration.ofSeconds(10)),
                        "the flow runs with both on tier 1");
                result = flow.stop();
            }
            System.out.printf("tier 0 -> tier 1 under %d datagrams/s: %s; link updates %.3f ms (b), %.3f ms (a)%n",
                    RATE, result, swapNanos[0] / 1e6, swapNanos[1] / 1e6);
            assertEquals(0, result.missing(), "no datagram lost: " + result);
            assertEquals(0, result.duplicated(), "no datagram duplicated: " + result);
            assertTrue(result.received() >= 6_000, result.toString());

            Ep a1 = node.endpoint(1);
            Ep b1 = node.endpoint(2);
            assertNotEquals(a1.programs().programIds(), b1.programs().programIds(), "each runs its own tier 1 now");
            // a's metrics map is one map across the swap: every datagram counted once, by one tier or the other
            assertEquals(result.sent(), a1.map("metrics").sumU64(EndpointMaps.metricsKey(DIR_EGRESS, DropReason.REDIRECTED),
                    METRICS_PACKETS));
            assertEquals(0, b1.map("metrics").sumU64(EndpointMaps.metricsKey(DIR_INGRESS, DropReason.POLICY_DENIED),
                    METRICS_PACKETS));
        }
    }
}
