package io.kiln.dataplane;

import static io.kiln.dataplane.Fixture.EP;
import static io.kiln.dataplane.Fixture.load;
import static io.kiln.dataplane.Fixture.packets;
import static io.kiln.dataplane.EndpointMaps.DIR_EGRESS;
import static io.kiln.testing.TestRun.TC_ACT_OK;
import static io.kiln.testing.TestRun.TC_ACT_REDIRECT;
import static io.kiln.testing.TestRun.TC_ACT_SHOT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.lab.Addresses;
import io.kiln.lab.PacketView;
import io.kiln.lab.Packets;
import io.kiln.templates.EndpointBpf.DropReason;
import io.kiln.testing.TemplateUnderTest;
import java.net.InetAddress;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The neighbour-discovery responder (ipv6=true): solicitations for other addresses get NODE_MAC. */
class EndpointNdTest {
    private static final String GATEWAY6 = "fe80::1";
    private static final String NEIGHBOUR6 = "2001:2::d";

    /** A neighbour solicitation as Linux sends it: hop limit 255, to the target's solicited-node group. */
    static byte[] solicitation(String srcMac, String srcIp, String target, String optionMac) throws Exception {
        byte[] t = InetAddress.getByName(target).getAddress();
        String group = String.format("ff02::1:ff%02x:%02x%02x", t[13] & 0xff, t[14] & 0xff, t[15] & 0xff);
        byte[] body = new byte[24];
        System.arraycopy(t, 0, body, 0, 16);
        body[16] = 1; // source link-layer address option
        body[17] = 1; // 8 bytes
        System.arraycopy(Addresses.mac(optionMac), 0, body, 18, 6);
        return Packets.ethernet(srcMac, String.format("33:33:ff:%02x:%02x:%02x", t[13] & 0xff, t[14] & 0xff, t[15] & 0xff))
                .ipv6(srcIp, group).ttl(255).icmp(135, 0, 0).payload(body).build();
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void answersForTheGatewayAndNeighboursWithNodeMac(String configSource) throws Exception {
        try (TemplateUnderTest t = load("ipv6", true, "configSource", configSource)) {
            for (String[] asked : new String[][] {{EP.ipv6(), NEIGHBOUR6}, {"fe80::2", GATEWAY6}}) {
                PacketView na = t.run("from_endpoint", solicitation(EP.mac(), asked[0], asked[1], EP.mac()))
                        .assertVerdict(TC_ACT_REDIRECT).view().assertChecksumsValid();
                assertEquals(EP.mac(), na.ethDst());
                assertEquals(EP.nodeMac(), na.ethSrc());
                assertEquals(InetAddress.getByName(asked[1]), InetAddress.getByName(na.src()), "from the target");
                assertEquals(InetAddress.getByName(asked[0]), InetAddress.getByName(na.dst()), "to the asker");
                assertEquals(136, na.icmpType());
                byte[] f = na.bytes();
                int l4 = 14 + 40;
                assertEquals(0x60, f[l4 + 4] & 0xff, "solicited and override");
                assertArrayEquals(InetAddress.getByName(asked[1]).getAddress(), Arrays.copyOfRange(f, l4 + 8, l4 + 24));
                assertEquals(2, f[l4 + 24], "target link-layer address option");
                assertArrayEquals(Addresses.mac(EP.nodeMac()), Arrays.copyOfRange(f, l4 + 26, l4 + 32));
                assertEquals(255, na.ttl());
            }
            assertEquals(2, packets(t, DIR_EGRESS, DropReason.ND_REPLIED));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void passesDuplicateAddressDetectionOwnAndMulticastTargetsAndDropsLies(String configSource) throws Exception {
        try (TemplateUnderTest t = load("ipv6", true, "configSource", configSource)) {
            byte[][] passing = {
                    solicitation(EP.mac(), "::", EP.ipv6(), EP.mac()),               // DAD (no option in real life)
                    solicitation(EP.mac(), "fe80::2", EP.ipv6(), EP.mac()),          // its own address
                    solicitation(EP.mac(), "fe80::2", "ff02::1", EP.mac()),          // a multicast target
            };
            for (byte[] frame : passing) {
                assertArrayEquals(frame, t.run("from_endpoint", frame).assertVerdict(TC_ACT_OK).packet());
            }
            byte[] hopLimit64 = solicitation(EP.mac(), EP.ipv6(), NEIGHBOUR6, EP.mac());
            hopLimit64[14 + 7] = 64;
            t.run("from_endpoint", hopLimit64).assertVerdict(TC_ACT_OK);
            t.run("from_endpoint", solicitation(EP.mac(), "2001:2::66", NEIGHBOUR6, EP.mac())).assertVerdict(TC_ACT_SHOT);
            t.run("from_endpoint", solicitation(EP.mac(), EP.ipv6(), NEIGHBOUR6, "02:00:00:00:00:66"))
                    .assertVerdict(TC_ACT_SHOT);
            assertEquals(1, packets(t, DIR_EGRESS, DropReason.SPOOFED_IP));
            assertEquals(1, packets(t, DIR_EGRESS, DropReason.SPOOFED_MAC));
            assertTrue(packets(t, DIR_EGRESS, DropReason.ND_REPLIED) == 0);
        }
    }
}
