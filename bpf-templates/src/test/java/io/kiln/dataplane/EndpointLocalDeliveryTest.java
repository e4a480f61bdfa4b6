package io.kiln.dataplane;

import static io.kiln.dataplane.Fixture.EP;
import static io.kiln.dataplane.Fixture.fromEndpoint;
import static io.kiln.dataplane.Fixture.load;
import static io.kiln.dataplane.Fixture.packets;
import static io.kiln.dataplane.Fixture.policy;
import static io.kiln.dataplane.EndpointMaps.ALLOW;
import static io.kiln.dataplane.EndpointMaps.DIR_EGRESS;
import static io.kiln.dataplane.EndpointMaps.IDENTITY_ANY;
import static io.kiln.dataplane.EndpointMaps.IDENTITY_MARK_MAGIC;
import static io.kiln.lab.Packets.TCP_SYN;
import static io.kiln.testing.TestRun.TC_ACT_OK;
import static io.kiln.testing.TestRun.TC_ACT_REDIRECT;
import static io.kiln.testing.TestRun.TC_ACT_SHOT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kiln.templates.EndpointBpf.DropReason;
import io.kiln.lab.PacketView;
import io.kiln.testing.TemplateUnderTest;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A packet for another endpoint of the node goes straight to its veth, as a router would send it. */
class EndpointLocalDeliveryTest {
    private static final String NEIGHBOUR = "198.18.0.13";
    private static final String NEIGHBOUR_MAC = "02:00:00:00:00:0d";

    private static TemplateUnderTest withNeighbour(String configSource) {
        TemplateUnderTest t = load("configSource", configSource);
        policy(t, IDENTITY_ANY, 0, 0, DIR_EGRESS, ALLOW);
        t.map("endpoints").put(EndpointMaps.endpointKey(NEIGHBOUR), EndpointMaps.endpointInfo(9, NEIGHBOUR_MAC, 13));
        return t;
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void redirectsWithRewrittenMacsLowerTtlAndTheSendersIdentity(String configSource) {
        try (TemplateUnderTest t = withNeighbour(configSource)) {
            byte[] in = fromEndpoint(NEIGHBOUR).ttl(64).tcp(40000, 8080, TCP_SYN).payload(20).build();
            PacketView out = t.run("from_endpoint", in).assertVerdict(TC_ACT_REDIRECT)
                    .assertMark(IDENTITY_MARK_MAGIC | (int) EP.identity()).view().assertChecksumsValid();
            assertEquals(NEIGHBOUR_MAC, out.ethDst());
            assertEquals(EP.nodeMac(), out.ethSrc());
            assertEquals(63, out.ttl());
            assertEquals(NEIGHBOUR, out.dst());
            // nothing else changed: from the IP header's checksum field on, minus TTL and checksum
            byte[] a = in.clone();
            byte[] b = out.bytes();
            for (int i : new int[] {14 + 8, 14 + 10, 14 + 11}) {
                a[i] = 0;
                b[i] = 0;
            }
            assertArrayEquals(Arrays.copyOfRange(a, 12, a.length), Arrays.copyOfRange(b, 12, b.length));
            assertEquals(1, packets(t, DIR_EGRESS, DropReason.REDIRECTED));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void anAddressNotInTheEndpointsMapGoesToTheStackUntouched(String configSource) {
        try (TemplateUnderTest t = withNeighbour(configSource)) {
            byte[] in = fromEndpoint("198.18.0.14").tcp(40000, 8080, TCP_SYN).build();
            var run = t.run("from_endpoint", in).assertVerdict(TC_ACT_OK).assertMark(0);
            assertArrayEquals(in, run.packet());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1})
    void aTtlTooLowToForwardIsDropped(int ttl) {
        try (TemplateUnderTest t = withNeighbour("constants")) {
            t.run("from_endpoint", fromEndpoint(NEIGHBOUR).ttl(ttl).udp(1, 2).build()).assertVerdict(TC_ACT_SHOT);
            assertEquals(1, packets(t, DIR_EGRESS, DropReason.TTL_EXCEEDED));
        }
    }
}
