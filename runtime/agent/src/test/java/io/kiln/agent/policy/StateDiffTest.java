package io.kiln.agent.policy;

import io.kiln.agent.spec.AddressLiterals;
import io.kiln.agent.spec.Cidr;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;

import static io.kiln.agent.policy.PolicyAction.ALLOW;
import static io.kiln.agent.policy.PolicyAction.DENY;
import static io.kiln.agent.policy.TrafficDirection.EGRESS;
import static io.kiln.agent.policy.TrafficDirection.INGRESS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StateDiffTest {
    private static final PolicyKey WEB_80 = new PolicyKey(300, 80, 6, INGRESS);
    private static final PolicyKey WEB_443 = new PolicyKey(300, 443, 6, INGRESS);

    @Test
    void policyDiffIsMinimalAndUpsertsFirst() {
        EndpointPolicy from = EndpointPolicy.of(Map.of(PolicyKey.any(INGRESS), ALLOW, PolicyKey.any(EGRESS), ALLOW,
                WEB_80, DENY));
        EndpointPolicy to = EndpointPolicy.of(Map.of(PolicyKey.any(EGRESS), ALLOW, WEB_80, ALLOW, WEB_443, ALLOW));
        List<PolicyOp> ops = StateDiff.policy(from, to);
        assertEquals(List.of(new PolicyOp.Upsert(WEB_80, ALLOW), new PolicyOp.Upsert(WEB_443, ALLOW),
                new PolicyOp.Delete(PolicyKey.any(INGRESS))), ops);
        assertEquals(to, StateDiff.apply(from, ops));
        assertEquals(List.of(), StateDiff.policy(to, to));
    }

    @Test
    void noIntermediateStateDeniesWhatBothEndsAllow() {
        EndpointPolicy from = EndpointPolicy.of(Map.of(PolicyKey.any(INGRESS), ALLOW));
        EndpointPolicy to = EndpointPolicy.of(Map.of(WEB_80, ALLOW));
        EndpointPolicy state = from;
        for (PolicyOp op : StateDiff.policy(from, to)) {
            state = StateDiff.apply(state, List.of(op));
            assertEquals(ALLOW, state.verdict(300, 80, 6, INGRESS), "after " + op);
        }
        assertEquals(to, state);
    }

    @Test
    void nodeDiffOrdersServicesAfterTheirBackends() throws Exception {
        InetAddress vip = InetAddress.getByName("198.18.200.1");
        ServiceKey web = new ServiceKey(vip, 80, 6);
        NodeState from = node(Map.of(Cidr.parse("198.18.0.1/32"), 300), Map.of(web, new ServiceValue(1, 1)),
                Map.of(new BackendKey(1, 0), backend("198.18.0.1", 8080)));
        NodeState grown = node(Map.of(Cidr.parse("198.18.0.1/32"), 300, Cidr.parse("198.18.0.2/32"), 301),
                Map.of(web, new ServiceValue(1, 2)),
                Map.of(new BackendKey(1, 0), backend("198.18.0.1", 8080), new BackendKey(1, 1), backend("198.18.0.2", 8080)));
        List<NodeMapOp> ops = StateDiff.node(from, grown);
        assertEquals(List.of(new NodeMapOp.IpcacheUpsert(Cidr.parse("198.18.0.2/32"), 301),
                new NodeMapOp.BackendUpsert(new BackendKey(1, 1), backend("198.18.0.2", 8080)),
                new NodeMapOp.ServiceUpsert(web, new ServiceValue(1, 2))), ops);
        List<NodeMapOp> back = StateDiff.node(grown, from);
        assertEquals(List.of(new NodeMapOp.ServiceUpsert(web, new ServiceValue(1, 1)),
                new NodeMapOp.BackendDelete(new BackendKey(1, 1)),
                new NodeMapOp.IpcacheDelete(Cidr.parse("198.18.0.2/32"))), back);
        assertEquals(from, StateDiff.apply(grown, back));
    }

    @Test
    void applyingTheDiffGivesTheTarget() {
        Random random = new Random(42);
        for (int round = 0; round < 200; round++) {
            EndpointPolicy a = randomPolicy(random);
            EndpointPolicy b = randomPolicy(random);
            List<PolicyOp> ops = StateDiff.policy(a, b);
            assertEquals(b, StateDiff.apply(a, ops));
            assertTrue(ops.size() <= a.size() + b.size());
            NodeState na = randomNode(random);
            NodeState nb = randomNode(random);
            assertEquals(nb, StateDiff.apply(na, StateDiff.node(na, nb)));
        }
    }

    private static EndpointPolicy randomPolicy(Random r) {
        SortedMap<PolicyKey, PolicyAction> m = new TreeMap<>();
        for (int i = r.nextInt(12); i > 0; i--) {
            int proto = r.nextBoolean() ? 6 : 0;
            m.put(new PolicyKey(r.nextInt(4), proto == 0 ? 0 : r.nextInt(3), proto, r.nextBoolean() ? INGRESS : EGRESS),
                    r.nextBoolean() ? ALLOW : DENY);
        }
        return new EndpointPolicy(m);
    }

    private static NodeState randomNode(Random r) {
        SortedMap<Cidr, Integer> ipcache = new TreeMap<>();
        SortedMap<BackendKey, BackendValue> backends = new TreeMap<>();
        List<InetAddress> addrs = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            addrs.add(AddressLiterals.ipv4("198.18.0." + i));
        }
        for (int i = r.nextInt(6); i > 0; i--) {
            ipcache.put(Cidr.host(addrs.get(r.nextInt(6))), 256 + r.nextInt(3));
            backends.put(new BackendKey(1, r.nextInt(3)), new BackendValue(addrs.get(r.nextInt(6)), 80));
        }
        return new NodeState(ipcache, new TreeMap<>(), backends, new TreeMap<>(AddressLiterals.ORDER));
    }

    private static NodeState node(Map<Cidr, Integer> ipcache, Map<ServiceKey, ServiceValue> services,
                                  Map<BackendKey, BackendValue> backends) {
        return new NodeState(new TreeMap<>(ipcache), new TreeMap<>(services), new TreeMap<>(backends),
                new TreeMap<>(AddressLiterals.ORDER));
    }

    private static BackendValue backend(String address, int port) {
        return new BackendValue(AddressLiterals.ipv4(address), port);
    }

    @Test
    void nodeDiffOfRandomIpcachesIsEveryChangedKeyOnceInKeyOrderAndApplyingItGivesTheTarget() throws Exception {
        Random r = new Random(13);
        for (int round = 0; round < 50; round++) {
            SortedMap<Cidr, Integer> a = new TreeMap<>();
            SortedMap<Cidr, Integer> b = new TreeMap<>();
            for (int i = 0; i < 200; i++) {
                Cidr c = Cidr.host(InetAddress.getByAddress(new byte[] {(byte) 198, 19, (byte) r.nextInt(4),
                        (byte) r.nextInt(256)}));
                if (r.nextBoolean()) {
                    a.put(c, 16_777_216 + r.nextInt(3));
                }
                if (r.nextBoolean()) {
                    b.put(c, 16_777_216 + r.nextInt(3));
                }
            }
            NodeState from = new NodeState(a, new TreeMap<>(), new TreeMap<>(), new TreeMap<>(AddressLiterals.ORDER));
            NodeState to = new NodeState(b, new TreeMap<>(), new TreeMap<>(), new TreeMap<>(AddressLiterals.ORDER));
            List<NodeMapOp> expected = new ArrayList<>();
            b.forEach((k, v) -> {
                if (!v.equals(a.get(k))) {
                    expected.add(new NodeMapOp.IpcacheUpsert(k, v));
                }
            });
            a.keySet().stream().filter(k -> !b.containsKey(k)).forEach(k -> expected.add(new NodeMapOp.IpcacheDelete(k)));
            List<NodeMapOp> ops = StateDiff.node(from, to);
            assertEquals(expected, ops);
            assertEquals(to, StateDiff.apply(from, ops));
        }
    }
}
