package io.kiln.dataplane;

import static io.kiln.dataplane.EndpointMaps.ALLOW;
import static io.kiln.dataplane.EndpointMaps.CT_KIND_EGRESS;
import static io.kiln.dataplane.EndpointMaps.CT_KIND_SERVICE;
import static io.kiln.dataplane.EndpointMaps.DIR_EGRESS;
import static io.kiln.dataplane.EndpointMaps.DIR_INGRESS;
import static io.kiln.dataplane.EndpointMaps.IDENTITY_ANY;
import static io.kiln.dataplane.Fixture.EP;
import static io.kiln.dataplane.Fixture.load;
import static io.kiln.dataplane.Fixture.packets;
import static io.kiln.dataplane.Fixture.policy;
import static io.kiln.lab.Packets.IPPROTO_TCP;
import static io.kiln.lab.Packets.IPPROTO_UDP;
import static io.kiln.lab.Packets.TCP_ACK;
import static io.kiln.lab.Packets.TCP_SYN;
import static io.kiln.testing.TestRun.TC_ACT_OK;
import static io.kiln.testing.TestRun.TC_ACT_SHOT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kiln.lab.Addresses;
import io.kiln.lab.PacketView;
import io.kiln.lab.Packets;
import io.kiln.templates.EndpointBpf;
import io.kiln.templates.EndpointBpf.DropReason;
import io.kiln.testing.TemplateUnderTest;
import java.net.InetAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * IPv6 services (ipv6=true): DNAT to a backend out of backends6 on the way out, the source put
 * back from revnat6 on the way back, the L4 checksum right over the new pseudo-header throughout.
 */
class EndpointLoadBalancing6Test {
    private static final String VIP = "2001:db8:100::1";
    private static final int SERVICE_ID = 42;
    private static final List<String> BACKENDS = List.of("2001:db8::30", "2001:db8::31");
    private static final int BACKEND_PORT = 8080;

    private static String text(String address) {
        return Addresses.ipText(Addresses.ip(address));
    }

    private static Packets.Builder fromEndpoint(String dst) {
        return Packets.ethernet(EP.mac(), EP.nodeMac()).ipv6(EP.ipv6(), dst);
    }

    private static Packets.Builder toEndpoint(String src) {
        return Packets.ethernet(EP.nodeMac(), EP.mac()).ipv6(src, EP.ipv6());
    }

    private static TemplateUnderTest withService(String configSource, int proto, int port) {
        TemplateUnderTest t = load("ipv6", true, "configSource", configSource);
        policy(t, IDENTITY_ANY, 0, 0, DIR_EGRESS, ALLOW);
        t.map("services6").put(EndpointMaps.service6Key(VIP, port, proto), EndpointMaps.serviceValue(BACKENDS.size(), SERVICE_ID));
        t.map("revnat6").put(EndpointMaps.revnat6Key(SERVICE_ID), EndpointMaps.revnat6Value(VIP));
        for (int slot = 0; slot < BACKENDS.size(); slot++) {
            t.map("backends6").put(EndpointMaps.backendKey(SERVICE_ID, slot), EndpointMaps.backend6Value(BACKENDS.get(slot), BACKEND_PORT));
        }
        return t;
    }

    private static String expectedBackend(int sport, int vport, int proto) throws Exception {
        return BACKENDS.get(io.kiln.templates.EndpointDefines.backendSlot(
                InetAddress.getByName(EP.ipv6()), InetAddress.getByName(VIP), sport, vport, proto, BACKENDS.size()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void tcpIsTranslatedBothWaysWithValidChecksums(String configSource) throws Exception {
        try (TemplateUnderTest t = withService(configSource, IPPROTO_TCP, 80)) {
            String backend = expectedBackend(40000, 80, IPPROTO_TCP);
            byte[] syn = fromEndpoint(VIP).tcp(40000, 80, TCP_SYN).payload(13).build();
            PacketView out = t.run("from_endpoint", syn).assertVerdict(TC_ACT_OK).view().assertChecksumsValid();
            assertEquals(text(backend), out.dst());
            assertEquals(BACKEND_PORT, out.dport());
            assertEquals(text(EP.ipv6()), out.src());
            assertEquals(40000, out.sport());
            assertArrayEquals(PacketView.parse(syn).payload(), out.payload());

            var service = EndpointBpf.Conntrack6Map.Value.fromBytes(t.map("conntrack6").get(
                    EndpointMaps.ctKey6(EP.ipv6(), VIP, 40000, 80, IPPROTO_TCP, CT_KIND_SERVICE)).orElseThrow());
            assertEquals(BACKENDS.indexOf(backend), service.natAddr(), "the service entry keeps the slot");
            assertEquals(SERVICE_ID, service.serviceId());
            var egress = EndpointBpf.Conntrack6Map.Value.fromBytes(t.map("conntrack6").get(
                    EndpointMaps.ctKey6(EP.ipv6(), backend, 40000, BACKEND_PORT, IPPROTO_TCP, CT_KIND_EGRESS)).orElseThrow());
            assertEquals(80, egress.natPort());
            assertEquals(SERVICE_ID, egress.serviceId());

            byte[] synAck = toEndpoint(backend).tcp(BACKEND_PORT, 40000, TCP_SYN | TCP_ACK).payload(7).build();
            PacketView back = t.run("to_endpoint", synAck).assertVerdict(TC_ACT_OK).view().assertChecksumsValid();
            assertEquals(text(VIP), back.src());
            assertEquals(80, back.sport());
            assertEquals(text(EP.ipv6()), back.dst());
            assertEquals(40000, back.dport());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void udpIsTranslatedBothWays(String configSource) throws Exception {
        try (TemplateUnderTest t = withService(configSource, IPPROTO_UDP, 53)) {
            String backend = expectedBackend(5353, 53, IPPROTO_UDP);
            PacketView out = t.run("from_endpoint", fromEndpoint(VIP).udp(5353, 53).payload(30).build())
                    .assertVerdict(TC_ACT_OK).view().assertChecksumsValid();
            assertEquals(text(backend), out.dst());
            assertEquals(BACKEND_PORT, out.dport());
            PacketView back = t.run("to_endpoint", toEndpoint(backend).udp(BACKEND_PORT, 5353).payload(50).build())
                    .assertVerdict(TC_ACT_OK).view().assertChecksumsValid();
            assertEquals(text(VIP), back.src());
            assertEquals(53, back.sport());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void flowsSpreadOverEveryBackendAsTheHashPredicts(String configSource) throws Exception {
        try (TemplateUnderTest t = withService(configSource, IPPROTO_TCP, 80)) {
            Set<String> seen = new HashSet<>();
            for (int sport = 40000; sport < 40064; sport++) {
                String dst = t.run("from_endpoint", fromEndpoint(VIP).tcp(sport, 80, TCP_SYN).build())
                        .assertVerdict(TC_ACT_OK).view().assertChecksumsValid().dst();
                assertEquals(text(expectedBackend(sport, 80, IPPROTO_TCP)), dst, "sport " + sport);
                seen.add(dst);
            }
            assertEquals(Set.of(text(BACKENDS.get(0)), text(BACKENDS.get(1))), seen);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void aFlowKeepsItsSlotAndPicksAgainWhenTheSlotIsGone(String configSource) throws Exception {
        try (TemplateUnderTest t = withService(configSource, IPPROTO_TCP, 80)) {
            String first = t.run("from_endpoint", fromEndpoint(VIP).tcp(40001, 80, TCP_SYN).build()).view().dst();
            assertEquals(first, t.run("from_endpoint", fromEndpoint(VIP).tcp(40001, 80, TCP_ACK).build())
                    .assertVerdict(TC_ACT_OK).view().dst());
            // one backend left, in slot 0: the flow's slot may be gone, and it must land on the one left
            t.map("backends6").delete(EndpointMaps.backendKey(SERVICE_ID, 1));
            t.map("services6").put(EndpointMaps.service6Key(VIP, 80, IPPROTO_TCP), EndpointMaps.serviceValue(1, SERVICE_ID));
            String again = t.run("from_endpoint", fromEndpoint(VIP).tcp(40001, 80, TCP_ACK).build())
                    .assertVerdict(TC_ACT_OK).view().assertChecksumsValid().dst();
            assertEquals(text(BACKENDS.get(0)), again);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void aReplyWhoseServiceIsGoneIsDroppedNotLeaked(String configSource) throws Exception {
        try (TemplateUnderTest t = withService(configSource, IPPROTO_TCP, 80)) {
            String backend = t.run("from_endpoint", fromEndpoint(VIP).tcp(40002, 80, TCP_SYN).build()).view().dst();
            t.map("revnat6").delete(EndpointMaps.revnat6Key(SERVICE_ID));
            t.run("to_endpoint", toEndpoint(backend).tcp(BACKEND_PORT, 40002, TCP_SYN | TCP_ACK).build())
                    .assertVerdict(TC_ACT_SHOT);
            assertEquals(1, packets(t, DIR_INGRESS, DropReason.NAT_FAILED));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void aServiceWithoutBackendsDrops(String configSource) {
        try (TemplateUnderTest t = load("ipv6", true, "configSource", configSource)) {
            policy(t, IDENTITY_ANY, 0, 0, DIR_EGRESS, ALLOW);
            t.map("services6").put(EndpointMaps.service6Key(VIP, 80, IPPROTO_TCP), EndpointMaps.serviceValue(0, SERVICE_ID));
            t.run("from_endpoint", fromEndpoint(VIP).tcp(40000, 80, TCP_SYN).build()).assertVerdict(TC_ACT_SHOT);
            assertEquals(1, packets(t, DIR_EGRESS, DropReason.NO_BACKEND));
        }
    }
}
