package io.kiln.dataplane;

import io.kiln.templates.EndpointBpf.DropReason;
import io.kiln.dataplane.EndpointMaps.CtEntry;

import static io.kiln.dataplane.Fixture.EP;
import static io.kiln.dataplane.Fixture.fromEndpoint;
import static io.kiln.dataplane.Fixture.load;
import static io.kiln.dataplane.Fixture.packets;
import static io.kiln.dataplane.Fixture.policy;
import static io.kiln.dataplane.Fixture.toEndpoint;
import static io.kiln.dataplane.EndpointMaps.ALLOW;
import static io.kiln.dataplane.EndpointMaps.CT_KIND_EGRESS;
import static io.kiln.dataplane.EndpointMaps.CT_KIND_SERVICE;
import static io.kiln.dataplane.EndpointMaps.DIR_EGRESS;
import static io.kiln.dataplane.EndpointMaps.IDENTITY_ANY;
import static io.kiln.lab.Packets.IPPROTO_TCP;
import static io.kiln.lab.Packets.IPPROTO_UDP;
import static io.kiln.lab.Packets.TCP_ACK;
import static io.kiln.lab.Packets.TCP_SYN;
import static io.kiln.testing.TestRun.TC_ACT_OK;
import static io.kiln.testing.TestRun.TC_ACT_SHOT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kiln.lab.PacketView;
import io.kiln.testing.TemplateUnderTest;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Services: DNAT to a backend on the way out, reverse NAT on the way back, checksums right throughout. */
class EndpointLoadBalancingTest {
    private static final String VIP = "198.18.100.1";
    private static final int SERVICE_ID = 42;
    private static final List<String> BACKENDS = List.of("198.18.0.30", "198.18.0.31");
    private static final int BACKEND_PORT = 8080;

    private static TemplateUnderTest withService(String configSource, int proto, int port) {
        TemplateUnderTest t = load("configSource", configSource);
        policy(t, IDENTITY_ANY, 0, 0, DIR_EGRESS, ALLOW);
        t.map("services").put(EndpointMaps.serviceKey(VIP, port, proto), EndpointMaps.serviceValue(BACKENDS.size(), SERVICE_ID));
        for (int slot = 0; slot < BACKENDS.size(); slot++) {
            t.map("backends").put(EndpointMaps.backendKey(SERVICE_ID, slot), EndpointMaps.backendValue(BACKENDS.get(slot), BACKEND_PORT));
        }
        return t;
    }

    private static String expectedBackend(int sport, int vport, int proto) {
        return BACKENDS.get(EndpointMaps.backendSlot(EP.ipv4(), VIP, sport, vport, proto, BACKENDS.size()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void tcpIsTranslatedBothWaysWithValidChecksums(String configSource) {
        try (TemplateUnderTest t = withService(configSource, IPPROTO_TCP, 80)) {
            String backend = expectedBackend(40000, 80, IPPROTO_TCP);
            byte[] syn = fromEndpoint(VIP).tcp(40000, 80, TCP_SYN).payload(13).build();
            PacketView out = t.run("from_endpoint", syn).assertVerdict(TC_ACT_OK).view().assertChecksumsValid();
            assertEquals(backend, out.dst());
            assertEquals(BACKEND_PORT, out.dport());
            assertEquals(EP.ipv4(), out.src());
            assertEquals(40000, out.sport());
            assertArrayEquals(PacketView.parse(syn).payload(), out.payload());

            CtEntry service = CtEntry.decode(t.map("conntrack").get(
                    EndpointMaps.ctKey4(EP.ipv4(), VIP, 40000, 80, IPPROTO_TCP, CT_KIND_SERVICE)).orElseThrow());
            assertEquals(backend, service.natAddr());
            assertEquals(BACKEND_PORT, service.natPort());
            CtEntry egress = CtEntry.decode(t.map("conntrack").get(
                    EndpointMaps.ctKey4(EP.ipv4(), backend, 40000, BACKEND_PORT, IPPROTO_TCP, CT_KIND_EGRESS)).orElseThrow());
            assertEquals(VIP, egress.natAddr());
            assertEquals(80, egress.natPort());
            assertEquals(SERVICE_ID, egress.serviceId());

            byte[] synAck = toEndpoint(backend).tcp(BACKEND_PORT, 40000, TCP_SYN | TCP_ACK).payload(7).build();
            PacketView back = t.run("to_endpoint", synAck).assertVerdict(TC_ACT_OK).view().assertChecksumsValid();
            assertEquals(VIP, back.src());
            assertEquals(80, back.sport());
            assertEquals(EP.ipv4(), back.dst());
            assertEquals(40000, back.dport());
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void udpIsTranslatedBothWaysAndAMissingChecksumStaysMissing(boolean withChecksum) {
        try (TemplateUnderTest t = withService("constants", IPPROTO_UDP, 53)) {
            String backend = expectedBackend(5353, 53, IPPROTO_UDP);
            var query = fromEndpoint(VIP).udp(5353, 53).payload(30);
            if (!withChecksum) {
                query.withoutUdpChecksum();
            }
            PacketView out = t.run("from_endpoint", query.build()).assertVerdict(TC_ACT_OK).view().assertChecksumsValid();
            assertEquals(backend, out.dst());
            assertEquals(BACKEND_PORT, out.dport());
            if (!withChecksum) {
                assertEquals(0, out.l4Checksum());
            }
            var answer = toEndpoint(backend).udp(BACKEND_PORT, 5353).payload(50);
            if (!withChecksum) {
                answer.withoutUdpChecksum();
            }
            PacketView back = t.run("to_endpoint", answer.build()).assertVerdict(TC_ACT_OK).view().assertChecksumsValid();
            assertEquals(VIP, back.src());
            assertEquals(53, back.sport());
            if (!withChecksum) {
                assertEquals(0, back.l4Checksum());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void aFlowKeepsItsBackendWhenTheBackendsChange(String configSource) {
        try (TemplateUnderTest t = withService(configSource, IPPROTO_TCP, 80)) {
            String first = t.run("from_endpoint", fromEndpoint(VIP).tcp(40001, 80, TCP_SYN).build()).view().dst();
            // swap the two slots: a new flow hashing to the same slot would now get the other backend
            for (int slot = 0; slot < BACKENDS.size(); slot++) {
                t.map("backends").put(EndpointMaps.backendKey(SERVICE_ID, slot),
                        EndpointMaps.backendValue(BACKENDS.get(BACKENDS.size() - 1 - slot), BACKEND_PORT));
            }
            String again = t.run("from_endpoint", fromEndpoint(VIP).tcp(40001, 80, TCP_ACK).build())
                    .assertVerdict(TC_ACT_OK).view().dst();
            assertEquals(first, again);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void flowsSpreadOverEveryBackendAsTheHashPredicts(String configSource) {
        try (TemplateUnderTest t = withService(configSource, IPPROTO_TCP, 80)) {
            Set<String> seen = new HashSet<>();
            for (int sport = 40000; sport < 40064; sport++) {
                String dst = t.run("from_endpoint", fromEndpoint(VIP).tcp(sport, 80, TCP_SYN).build())
                        .assertVerdict(TC_ACT_OK).view().assertChecksumsValid().dst();
                assertEquals(expectedBackend(sport, 80, IPPROTO_TCP), dst, "sport " + sport);
                seen.add(dst);
            }
            assertEquals(Set.copyOf(BACKENDS), seen);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void aServiceWithoutBackendsDrops(String configSource) {
        try (TemplateUnderTest t = load("configSource", configSource)) {
            policy(t, IDENTITY_ANY, 0, 0, DIR_EGRESS, ALLOW);
            t.map("services").put(EndpointMaps.serviceKey(VIP, 80, IPPROTO_TCP), EndpointMaps.serviceValue(0, SERVICE_ID));
            t.map("services").put(EndpointMaps.serviceKey(VIP, 81, IPPROTO_TCP), EndpointMaps.serviceValue(3, SERVICE_ID + 1));
            t.run("from_endpoint", fromEndpoint(VIP).tcp(40000, 80, TCP_SYN).build()).assertVerdict(TC_ACT_SHOT);
            t.run("from_endpoint", fromEndpoint(VIP).tcp(40000, 81, TCP_SYN).build()).assertVerdict(TC_ACT_SHOT); // slots missing
            assertEquals(2, packets(t, DIR_EGRESS, DropReason.NO_BACKEND));
        }
    }
}
