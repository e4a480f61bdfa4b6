package io.kiln.dataplane;

import static io.kiln.dataplane.EndpointMaps.ALLOW;
import static io.kiln.dataplane.EndpointMaps.DIR_EGRESS;
import static io.kiln.dataplane.EndpointMaps.DIR_INGRESS;
import static io.kiln.dataplane.EndpointMaps.IDENTITY_ANY;
import static io.kiln.dataplane.EndpointMaps.METRICS_BYTES;
import static io.kiln.dataplane.EndpointMaps.METRICS_PACKETS;
import static io.kiln.lab.Packets.IPPROTO_TCP;
import static io.kiln.lab.Packets.IPPROTO_UDP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.templates.EndpointBpf.DropReason;
import io.kiln.dataplane.TrafficNode.Ep;
import io.kiln.testing.BpfLeakCheck;
import io.kiln.lab.Command;
import io.kiln.testing.KernelRequirements;
import java.nio.file.Files;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real traffic between three endpoints on one namespace-made node, through the attached programs:
 * policy allows and denies TCP and UDP, a service address reaches every backend and replies come
 * back from it, and the metrics count exactly what was sent.
 */
class NamespaceTrafficTest {
    private static final String VIP = "198.18.100.1";
    private static final int SERVICE_ID = 7;
    private static final int UDP_PAYLOAD = 32;
    /** skb->len of one such datagram at tc: Ethernet, IPv4, UDP, payload. */
    private static final int UDP_FRAME = 14 + 20 + 8 + UDP_PAYLOAD;

    @ParameterizedTest
    @ValueSource(strings = {"constants", "node"})
    void threeEndpointsWithPolicyServiceAndCounters(String configSource) throws Exception {
        KernelRequirements.assumeKernel();
        KernelRequirements.assumeTools("ip", "bpftool");
        BpfLeakCheck leaks = BpfLeakCheck.begin(TrafficNode.OBJECT_NAME);
        Set<Integer> programIds;
        java.nio.file.Path pins;
        try (TrafficNode node = TrafficNode.create(3, "configSource", configSource); Servers servers = new Servers()) {
            programIds = Set.copyOf(node.programIds());
            pins = node.pinRoot();
            Ep a = node.endpoint(1);
            Ep b = node.endpoint(2);
            Ep c = node.endpoint(3);
            long idA = a.values().identity();
            Fixture.policy(a.map("policy"), IDENTITY_ANY, 0, 0, DIR_EGRESS, ALLOW);
            for (Ep backend : new Ep[] {b, c}) {
                Fixture.policy(backend.map("policy"), idA, 8080, IPPROTO_TCP, DIR_INGRESS, ALLOW);
                servers.tcpEcho(backend.ns(), 8080, "ep" + backend.values().id());
                servers.tcpEcho(backend.ns(), 9090, "ep" + backend.values().id());
                servers.udpEcho(backend.ns(), 5353, "ep" + backend.values().id());
            }
            Fixture.policy(b.map("policy"), idA, 5353, IPPROTO_UDP, DIR_INGRESS, ALLOW);

            // UDP allowed: every datagram and every echo is counted once, with its length, on both sides
            assertEquals(1, Servers.udpExchange(a.ns(), b.ip(), 5353, 1, UDP_PAYLOAD, Servers.TIMEOUT_MILLIS),
                    "warm-up (ARP) exchange A -> B");
            Counters before = Counters.of(a, b, c);
            int k = 40;
            assertEquals(k, Servers.udpExchange(a.ns(), b.ip(), 5353, k, UDP_PAYLOAD, Servers.TIMEOUT_MILLIS));
            Counters after = Counters.of(a, b, c);
            int echoFrame = UDP_FRAME + "ep2 ".length();
            assertEquals(k, after.a(DIR_EGRESS, DropReason.REDIRECTED) - before.a(DIR_EGRESS, DropReason.REDIRECTED));
            assertEquals((long) k * UDP_FRAME,
                    after.aBytes(DIR_EGRESS, DropReason.REDIRECTED) - before.aBytes(DIR_EGRESS, DropReason.REDIRECTED));
            assertEquals(k, after.b(DIR_INGRESS, DropReason.FORWARDED) - before.b(DIR_INGRESS, DropReason.FORWARDED));
            assertEquals(k, after.b(DIR_EGRESS, DropReason.REDIRECTED) - before.b(DIR_EGRESS, DropReason.REDIRECTED));
            assertEquals((long) k * echoFrame,
                    after.bBytes(DIR_EGRESS, DropReason.REDIRECTED) - before.bBytes(DIR_EGRESS, DropReason.REDIRECTED));
            assertEquals(k, after.a(DIR_INGRESS, DropReason.FORWARDED) - before.a(DIR_INGRESS, DropReason.FORWARDED));

            // UDP denied by C's policy: no echo, and C counts each datagram as a policy drop
            long deniedBefore = Counters.packets(c, DIR_INGRESS, DropReason.POLICY_DENIED);
            int denied = 15;
            assertEquals(0, Servers.udpExchange(a.ns(), c.ip(), 5353, denied, UDP_PAYLOAD, 200));
            assertEquals(denied, Counters.packets(c, DIR_INGRESS, DropReason.POLICY_DENIED) - deniedBefore);

            // TCP allowed to 8080 on B and C, denied to 9090
            assertEquals("ep2 hello", Servers.tcpRequest(a.ns(), b.ip(), 8080, "hello"));
            assertEquals("ep3 hello", Servers.tcpRequest(a.ns(), c.ip(), 8080, "hello"));
            long tcpDeniedBefore = Counters.packets(b, DIR_INGRESS, DropReason.POLICY_DENIED);
            assertFalse(Servers.tcpConnects(a.ns(), b.ip(), 9090, 1000), "B's policy does not allow port 9090");
            assertTrue(Counters.packets(b, DIR_INGRESS, DropReason.POLICY_DENIED) > tcpDeniedBefore);
            // and B may not open connections to A: it has no egress policy
            assertFalse(Servers.tcpConnects(b.ns(), a.ip(), 8080, 500));

            // a service in front of B and C: every backend is reached, replies come from the service address
            a.map("services").put(EndpointMaps.serviceKey(VIP, 80, IPPROTO_TCP), EndpointMaps.serviceValue(2, SERVICE_ID));
            a.map("backends").put(EndpointMaps.backendKey(SERVICE_ID, 0), EndpointMaps.backendValue(b.ip(), 8080));
            a.map("backends").put(EndpointMaps.backendKey(SERVICE_ID, 1), EndpointMaps.backendValue(c.ip(), 8080));
            Set<String> reached = new TreeSet<>();
            for (int i = 0; i < 40 && reached.size() < 2; i++) {
                String answer = Servers.tcpRequest(a.ns(), VIP, 80, "via-service-" + i);
                assertTrue(answer.endsWith(" via-service-" + i), answer);
                reached.add(answer.substring(0, answer.indexOf(' ')));
            }
            assertEquals(Set.of("ep2", "ep3"), reached);
        }
        leaks.assertNoLeaks();
        assertFalse(Files.exists(pins), "pins removed");
        for (int id : programIds) {
            Command.Result r = Command.run(java.util.List.of("bpftool", "prog", "show", "id", String.valueOf(id)));
            assertTrue(r.exitCode() != 0 || !r.stdout().contains("_endpoint"), "program " + id + " still loaded: " + r.stdout());
        }
    }

    /** A snapshot of the metrics of endpoints A, B and C. */
    private record Counters(long[][] packets, long[][] bytes) {
        static Counters of(Ep... eps) {
            long[][] p = new long[eps.length][2 * DropReason.MAX];
            long[][] b = new long[eps.length][2 * DropReason.MAX];
            for (int i = 0; i < eps.length; i++) {
                for (int dir = 0; dir < 2; dir++) {
                    for (DropReason r : DropReason.values()) {
                        byte[] key = EndpointMaps.metricsKey(dir, r);
                        p[i][dir * DropReason.MAX + r.code()] = eps[i].map("metrics").sumU64(key, METRICS_PACKETS);
                        b[i][dir * DropReason.MAX + r.code()] = eps[i].map("metrics").sumU64(key, METRICS_BYTES);
                    }
                }
            }
            return new Counters(p, b);
        }

        static long packets(Ep e, int dir, DropReason r) {
            return e.map("metrics").sumU64(EndpointMaps.metricsKey(dir, r), METRICS_PACKETS);
        }

        long a(int dir, DropReason r) {
            return packets[0][dir * DropReason.MAX + r.code()];
        }

        long b(int dir, DropReason r) {
            return packets[1][dir * DropReason.MAX + r.code()];
        }

        long aBytes(int dir, DropReason r) {
            return bytes[0][dir * DropReason.MAX + r.code()];
        }

        long bBytes(int dir, DropReason r) {
            return bytes[1][dir * DropReason.MAX + r.code()];
        }
    }
}
