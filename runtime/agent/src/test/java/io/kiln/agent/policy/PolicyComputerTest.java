package io.kiln.agent.policy;

import io.kiln.agent.Fixtures;
import io.kiln.agent.spec.Cidr;
import io.kiln.agent.spec.Labels;
import io.kiln.agent.spec.PolicySpec;
import io.kiln.agent.spec.SpecReader;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

import static io.kiln.agent.policy.PolicyAction.ALLOW;
import static io.kiln.agent.policy.PolicyAction.DENY;
import static io.kiln.agent.policy.TrafficDirection.EGRESS;
import static io.kiln.agent.policy.TrafficDirection.INGRESS;
import static org.junit.jupiter.api.Assertions.assertEquals;

class PolicyComputerTest {
    private static final int TCP = 6;
    private static final int UDP = 17;
    private static final IdentifiedEndpoint WEB = new IdentifiedEndpoint(1, Labels.of("app", "web"), 300);
    private static final IdentifiedEndpoint CLIENT = new IdentifiedEndpoint(2, Labels.of("app", "client"), 301);
    private static final IdentifiedEndpoint ADMIN = new IdentifiedEndpoint(3, Labels.of("app", "admin"), 302);
    private static final List<IdentifiedEndpoint> ALL = List.of(WEB, CLIENT, ADMIN);

    @Test
    void noPolicyAllowsEverything() {
        EndpointPolicy p = compute(List.of(), Map.of()).get(1);
        assertEquals(Map.of(PolicyKey.any(INGRESS), ALLOW, PolicyKey.any(EGRESS), ALLOW), p.entries());
        assertEquals(ALLOW, p.verdict(999, 22, TCP, INGRESS));
    }

    @Test
    void allowsByLabelsAndPorts() {
        PolicySpec policy = Fixtures.policy("""
                name: web
                endpointSelector: { matchLabels: { app: web } }
                ingress:
                  - fromEndpoints: [ { matchLabels: { app: client } } ]
                    toPorts: [ { port: 80, protocol: TCP }, { port: 53 } ]
                """);
        SortedMap<Integer, EndpointPolicy> out = compute(List.of(policy), Map.of());
        EndpointPolicy web = out.get(1);
        assertEquals(Map.of(new PolicyKey(301, 80, TCP, INGRESS), ALLOW, new PolicyKey(301, 53, TCP, INGRESS), ALLOW,
                new PolicyKey(301, 53, UDP, INGRESS), ALLOW, PolicyKey.any(EGRESS), ALLOW), web.entries(),
                "ingress switched to default deny; egress untouched");
        assertEquals(ALLOW, web.verdict(301, 80, TCP, INGRESS));
        assertEquals(DENY, web.verdict(301, 81, TCP, INGRESS));
        assertEquals(DENY, web.verdict(302, 80, TCP, INGRESS), "admin is not a client");
        assertEquals(ALLOW, web.verdict(302, 80, TCP, EGRESS));
        assertEquals(Map.of(PolicyKey.any(INGRESS), ALLOW, PolicyKey.any(EGRESS), ALLOW), out.get(2).entries(),
                "the client is not selected");
    }

    @Test
    void anEmptyRuleListDeniesAndARuleWithoutPeersIsAWildcard() {
        PolicySpec lock = Fixtures.policy("name: lock\nendpointSelector: {}\ningress: []\negress:\n  - toPorts: [{port: 53, protocol: UDP}]\n");
        EndpointPolicy web = compute(List.of(lock), Map.of()).get(1);
        assertEquals(Map.of(new PolicyKey(0, 53, UDP, EGRESS), ALLOW), web.entries());
        assertEquals(DENY, web.verdict(301, 80, TCP, INGRESS));
        assertEquals(ALLOW, web.verdict(2, 53, UDP, EGRESS));
    }

    @Test
    void denyBeatsAllow() {
        PolicySpec allow = Fixtures.policy("""
                name: allow
                endpointSelector: { matchLabels: { app: web } }
                ingress:
                  - fromEndpoints: [ {} ]
                """);
        PolicySpec deny = Fixtures.policy("""
                name: deny
                endpointSelector: { matchLabels: { app: web } }
                ingressDeny:
                  - fromEndpoints: [ { matchLabels: { app: admin } } ]
                  - toPorts: [ { port: 22, protocol: TCP } ]
                """);
        EndpointPolicy web = compute(List.of(allow, deny), Map.of()).get(1);
        assertEquals(DENY, web.get(new PolicyKey(302, 0, 0, INGRESS)), "the deny replaced the allow of the same key");
        assertEquals(DENY, web.verdict(302, 80, TCP, INGRESS));
        assertEquals(ALLOW, web.verdict(301, 80, TCP, INGRESS));
        assertEquals(DENY, web.verdict(301, 22, TCP, INGRESS), "wildcard-peer deny on port 22");
        assertEquals(DENY, web.verdict(5555, 80, TCP, INGRESS), "the world is no endpoint");

        EndpointPolicy denyOnly = compute(List.of(deny), Map.of()).get(1);
        assertEquals(ALLOW, denyOnly.get(PolicyKey.any(INGRESS)), "deny rules alone keep default allow");
        assertEquals(ALLOW, denyOnly.verdict(301, 80, TCP, INGRESS));
        assertEquals(DENY, denyOnly.verdict(302, 443, TCP, INGRESS));
    }

    @Test
    void cidrRulesMatchEveryPrefixInside() {
        PolicySpec egress = Fixtures.policy("""
                name: out
                endpointSelector: { matchLabels: { app: web } }
                egress:
                  - toCIDR: [ 198.19.0.0/16 ]
                  - toEntities: [ host ]
                """);
        Map<Cidr, Integer> cidrs = Map.of(Cidr.parse("198.19.0.0/16"), 1 << 24, Cidr.parse("198.19.7.0/24"), (1 << 24) + 1,
                Cidr.parse("203.0.113.0/24"), (1 << 24) + 2);
        EndpointPolicy web = compute(List.of(egress), cidrs).get(1);
        assertEquals(Map.of(new PolicyKey(1 << 24, 0, 0, EGRESS), ALLOW, new PolicyKey((1 << 24) + 1, 0, 0, EGRESS), ALLOW,
                new PolicyKey(1, 0, 0, EGRESS), ALLOW, PolicyKey.any(INGRESS), ALLOW), web.entries());
    }

    @Test
    void aSelectorMatchingNothingAllowsNothing() {
        PolicySpec p = Fixtures.policy("""
                name: web
                endpointSelector: { matchLabels: { app: web } }
                ingress:
                  - fromEndpoints: [ { matchLabels: { app: nobody } } ]
                """);
        assertEquals(Map.of(PolicyKey.any(EGRESS), ALLOW), compute(List.of(p), Map.of()).get(1).entries());
    }

    @Test
    void kubernetesPoliciesStayInTheirNamespace() {
        IdentifiedEndpoint webA = new IdentifiedEndpoint(1, Labels.of("app", "web", PolicyComputer.NAMESPACE_LABEL, "a"), 300);
        IdentifiedEndpoint clientA = new IdentifiedEndpoint(2, Labels.of("app", "client", PolicyComputer.NAMESPACE_LABEL, "a"), 301);
        IdentifiedEndpoint clientB = new IdentifiedEndpoint(3, Labels.of("app", "client", PolicyComputer.NAMESPACE_LABEL, "b"), 302);
        IdentifiedEndpoint webB = new IdentifiedEndpoint(4, Labels.of("app", "web", PolicyComputer.NAMESPACE_LABEL, "b"), 303);
        Map<String, Object> spec = Map.of("endpointSelector", Map.of("matchLabels", Map.of("app", "web")),
                "ingress", List.of(Map.of("fromEndpoints", List.of(Map.of("matchLabels", Map.of("app", "client"))))));
        PolicySpec p = SpecReader.kubernetesPolicy("KilnPolicy a/web", spec, "a/web", "a");
        SortedMap<Integer, EndpointPolicy> out = PolicyComputer.compute(List.of(webA, clientA, clientB, webB), List.of(p),
                Map.of());
        assertEquals(Map.of(new PolicyKey(301, 0, 0, INGRESS), ALLOW, PolicyKey.any(EGRESS), ALLOW), out.get(1).entries());
        assertEquals(ALLOW, out.get(4).get(PolicyKey.any(INGRESS)), "web in namespace b is not selected");
    }

    private static SortedMap<Integer, EndpointPolicy> compute(List<PolicySpec> policies, Map<Cidr, Integer> cidrs) {
        return PolicyComputer.compute(ALL, policies, new TreeMap<>(cidrs));
    }
}
