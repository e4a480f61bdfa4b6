package io.kiln.agent.plan;

import io.kiln.agent.Fixtures;
import io.kiln.agent.identity.IdentityAllocator;
import io.kiln.agent.policy.PolicyAction;
import io.kiln.agent.policy.PolicyKey;
import io.kiln.agent.policy.TrafficDirection;
import io.kiln.agent.spec.Cidr;
import io.kiln.agent.spec.DesiredState;
import io.kiln.agent.spec.EndpointSpec;
import io.kiln.agent.spec.FqdnSelector;
import io.kiln.agent.spec.PolicySpec;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Addresses learned for toFQDNs selectors: the quick path gives what a full plan of the same state gives. */
class PlannerLearnedTest {
    private static final PolicySpec CLIENT = Fixtures.policy("""
            name: client
            endpointSelector: { matchLabels: { app: client } }
            egress:
              - toFQDNs: [ { matchName: api.example.test } ]
                toPorts: [ { port: 443, protocol: TCP } ]
            """);
    private static final PolicySpec WIDE = Fixtures.policy("""
            name: wide
            endpointSelector: { matchLabels: { app: other } }
            egress:
              - toCIDR: [ 198.19.0.0/16 ]
            """);

    private final Map<FqdnSelector, Set<InetAddress>> learned = new HashMap<>();

    private Planner planner() {
        return new Planner(Fixtures.catalog(), IdentityAllocator.inMemory()).learned(this::addresses);
    }

    private Map<FqdnSelector, ? extends Collection<InetAddress>> addresses(Collection<FqdnSelector> selectors) {
        Map<FqdnSelector, Set<InetAddress>> out = new HashMap<>();
        selectors.forEach(s -> out.put(s, learned.getOrDefault(s, Set.of())));
        return out;
    }

    @Test
    void aLearnedAddressGetsAnIpcacheEntryAndPeersInEveryRuleItFallsIntoWithoutAFullPlan() throws Exception {
        List<EndpointSpec> eps = List.of(Fixtures.endpoint(1, "app", "client"), Fixtures.endpoint(2, "app", "other"));
        DesiredState d = DesiredState.of(eps, List.of(CLIENT, WIDE), List.of());
        Planner p = planner();
        Plan before = p.plan(d, List.of());
        InetAddress api = InetAddress.getByName("198.19.1.10");
        Cidr host = Cidr.host(api);
        assertFalse(before.node().ipcache().containsKey(host));

        learned.put(FqdnSelector.name("api.example.test"), Set.of(api));
        Plan after = p.plan(d, List.of());
        assertEquals(1, p.policyOnlyPlans(), "learning is the quick path");
        Integer id = after.node().ipcache().get(host);
        assertTrue(id != null, after.node().ipcache().toString());
        assertEquals(PolicyAction.ALLOW, after.endpoints().get(1).policy().entries()
                .get(new PolicyKey(id, 443, 6, TrafficDirection.EGRESS)));
        assertTrue(after.endpoints().get(2).policy().entries().keySet().stream().anyMatch(k -> k.identity() == id),
                "198.19.1.10/32 lies in endpoint 2's toCIDR 198.19.0.0/16: its identity is a peer there too");

        Planner fresh = new Planner(Fixtures.catalog(), IdentityAllocator.inMemory()).learned(this::addresses);
        Plan full = fresh.plan(d, List.of());
        assertEquals(full.node().ipcache().keySet(), after.node().ipcache().keySet());
        assertEquals(full.endpoints().get(1).policy().entries().size(), after.endpoints().get(1).policy().entries().size());

        learned.clear();
        Plan gone = p.plan(d, List.of());
        assertEquals(2, p.policyOnlyPlans());
        assertFalse(gone.node().ipcache().containsKey(host), "expired: out of the ipcache");
        assertEquals(before.endpoints().get(1).policy(), gone.endpoints().get(1).policy());
        assertEquals(before.node(), gone.node());
    }

    // ---- learnedChanged: the per-address path DNS answers take ----

    private static final PolicySpec PATTERN = Fixtures.policy("""
            name: pattern
            endpointSelector: { matchLabels: { app: client } }
            egress:
              - toFQDNs: [ { matchPattern: "*.example.test" } ]
                toPorts: [ { port: 80, protocol: TCP } ]
            """);

    /** Names learned per address: the cache's two views (by selector for full plans, by address for learnedChanged). */
    private final Map<InetAddress, Set<String>> names = new HashMap<>();

    private Planner namedPlanner() {
        return new Planner(Fixtures.catalog(), IdentityAllocator.inMemory()).learned(this::bySelector)
                .learnedNames(a -> names.getOrDefault(a, Set.of()));
    }

    private Map<FqdnSelector, ? extends Collection<InetAddress>> bySelector(Collection<FqdnSelector> selectors) {
        Map<FqdnSelector, Set<InetAddress>> out = new HashMap<>();
        for (FqdnSelector s : selectors) {
            Set<InetAddress> set = new HashSet<>();
            names.forEach((a, n) -> {
                if (n.stream().anyMatch(s::matches)) {
                    set.add(a);
                }
            });
            out.put(s, set);
        }
        return out;
    }

    private void learn(String name, InetAddress a) {
        names.computeIfAbsent(a, x -> new TreeSet<>()).add(name);
    }

    @Test
    void addressesOfOneClassShareAnIdentityAndANewOneChangesTheIpcacheAlone() throws Exception {
        List<EndpointSpec> eps = List.of(Fixtures.endpoint(1, "app", "client"), Fixtures.endpoint(2, "app", "other"));
        DesiredState d = DesiredState.of(eps, List.of(CLIENT, PATTERN, WIDE), List.of());
        Planner p = namedPlanner();
        Plan before = p.plan(d, List.of());
        InetAddress a1 = InetAddress.getByName("198.19.1.10");
        InetAddress a2 = InetAddress.getByName("198.19.1.11");
        InetAddress www = InetAddress.getByName("198.19.1.12");
        InetAddress far = InetAddress.getByName("198.20.0.1");

        learn("api.example.test", a1);
        Plan first = p.learnedChanged(Set.of(a1));
        assertNotNull(first);
        assertEquals(ALLOW, verdict(first, 1, a1, 443));
        assertEquals(ALLOW, verdict(first, 1, a1, 80), "*.example.test selects api.example.test too");
        assertEquals(DENY, verdict(first, 1, a1, 22));
        assertEquals(ALLOW, verdict(first, 2, a1, 22), "inside endpoint 2's toCIDR 198.19.0.0/16");

        learn("api.example.test", a2);
        Plan second = p.learnedChanged(Set.of(a2));
        assertEquals(second.node().ipcache().get(Cidr.host(a1)), second.node().ipcache().get(Cidr.host(a2)),
                "one class, one identity");
        for (int ep : List.of(1, 2)) {
            assertSame(first.endpoints().get(ep), second.endpoints().get(ep), "a known class: no endpoint's plan changes");
        }
        assertEquals(first.node().ipcache().size() + 1, second.node().ipcache().size());
        assertEquals(ALLOW, verdict(second, 1, a2, 443));

        learn("www.example.test", www);
        learn("api.example.test", far);
        Plan third = p.learnedChanged(Set.of(www, far));
        assertNotEquals(third.node().ipcache().get(Cidr.host(a1)), third.node().ipcache().get(Cidr.host(www)));
        assertEquals(DENY, verdict(third, 1, www, 443), "only the pattern selects www");
        assertEquals(ALLOW, verdict(third, 1, www, 80));
        assertEquals(ALLOW, verdict(third, 1, far, 443));
        assertEquals(DENY, verdict(third, 2, far, 22), "outside the toCIDR: another class");
        assertEquals(ALLOW, verdict(third, 2, www, 22));

        learn("api.example.test", InetAddress.getByName("198.18.0.2"));
        Plan own = p.learnedChanged(Set.of(InetAddress.getByName("198.18.0.2")));
        assertEquals(before.node().ipcache().get(Cidr.host(InetAddress.getByName("198.18.0.2"))),
                own.node().ipcache().get(Cidr.host(InetAddress.getByName("198.18.0.2"))),
                "an endpoint's own address keeps the endpoint's identity");

        Plan full = namedPlanner().plan(d, List.of());
        for (InetAddress probe : List.of(a1, a2, www, far, InetAddress.getByName("198.19.9.9"),
                InetAddress.getByName("198.18.0.2"), InetAddress.getByName("203.0.113.1"))) {
            for (int ep : List.of(1, 2)) {
                for (int port : List.of(22, 80, 443)) {
                    assertEquals(verdict(full, ep, probe, port), verdict(own, ep, probe, port),
                            "endpoint " + ep + " to " + probe + ":" + port + ": per-address path = full plan");
                }
            }
        }

        names.remove(a2);
        Plan expired = p.learnedChanged(Set.of(a2));
        assertFalse(expired.node().ipcache().containsKey(Cidr.host(a2)), "expired: out of the ipcache");
        assertEquals(DENY, verdict(expired, 1, a2, 443));
        names.clear();
        Plan none = p.learnedChanged(Set.of(a1, www, far, InetAddress.getByName("198.18.0.2")));
        assertEquals(before.node(), none.node(), "every learned address gone: the ipcache of before");
        assertEquals(0, p.policyOnlyPlans(), "no plan of policies on the way");
    }

    private static final PolicyAction ALLOW = PolicyAction.ALLOW;
    private static final PolicyAction DENY = PolicyAction.DENY;

    /** What endpoint {@code ep}'s map says of a TCP connect to {@code a}: the ipcache's longest prefix, then the policy. */
    private static PolicyAction verdict(Plan plan, int ep, InetAddress a, int port) {
        int identity = 2; // world
        int best = -1;
        for (Map.Entry<Cidr, Integer> e : new TreeMap<>(plan.node().ipcache()).entrySet()) {
            if (e.getKey().contains(a) && e.getKey().prefixLength() > best) {
                best = e.getKey().prefixLength();
                identity = e.getValue();
            }
        }
        return plan.endpoints().get(ep).policy().verdict(identity, port, 6, TrafficDirection.EGRESS);
    }
}
