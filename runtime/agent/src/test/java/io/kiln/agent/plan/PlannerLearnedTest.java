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
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
}
