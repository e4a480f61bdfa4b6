package io.kiln.agent.spec;

import io.kiln.agent.policy.DnsQueryRules;
import io.kiln.agent.policy.PolicyComputer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DNS rules on queries in policy specs: {@code toPorts: [{port: 53, protocol: UDP, dns: [...]}]}. */
class DnsQueryRulesSpecTest {
    private static final String POLICY = """
            name: dns
            endpointSelector: {}
            egress:
              - toCIDR: [ 198.18.0.53/32 ]
                toPorts:
                  - port: 53
                    protocol: UDP
                    dns:
                      - matchName: API.example.test
                      - matchPattern: "*.example.org"
            """;

    @Test
    void readsDnsRulesOnAPortAndWritesThemBack() {
        PolicySpec p = SpecReader.policy("p.yaml", POLICY);
        PortRule port = p.egress().get(0).ports().get(0);
        assertEquals(53, port.port());
        assertEquals(List.of(FqdnSelector.name("api.example.test"), FqdnSelector.pattern("*.example.org")), port.dns());
        PolicySpec again = SpecReader.policy("api", SpecJson.text(p));
        assertEquals(p.egress(), again.egress(), "the local API stores what it read");
        assertNull(SpecReader.policy("p.yaml", POLICY.replaceAll("(?s)\\n +dns:.*", "\n")).egress().get(0).ports().get(0)
                .dns(), "no dns: no rules");
    }

    @Test
    void aKubernetesPolicyCarriesThemToo() {
        PolicySpec k = SpecReader.kubernetesPolicy("KilnPolicy default/dns", Map.of("endpointSelector", Map.of(),
                "egress", List.of(Map.of("toPorts", List.of(Map.of("port", 53, "protocol", "ANY",
                        "dns", List.of(Map.of("matchPattern", "*"))))))), "dns", "default");
        assertEquals(List.of(FqdnSelector.pattern("*")), k.egress().get(0).ports().get(0).dns());
    }

    @Test
    void badDnsRulesAreRefusedNamingTheField() {
        assertPolicy("egress[0].toPorts[0].dns[1].matchPattern", POLICY.replace("\"*.example.org\"", "\"api-*.example.org\""),
                "a DNS rule on queries takes matchName, \"*\" or \"*.SUFFIX\"");
        assertPolicy("egress[0].toPorts[0].dns[1].matchPattern", POLICY.replace("\"*.example.org\"", "\"*.*.org\""),
                "no other '*'");
        assertPolicy("egress[0].toPorts[0].dns[1].matchPattern", POLICY.replace("\"*.example.org\"", "\"*..org\""),
                "is not a name pattern");
        assertPolicy("egress[0].toPorts[0].dns[0].matchName", POLICY.replace("API.example.test", "a_b..test"),
                "is not a DNS name");
        assertPolicy("egress[0].toPorts[0].dns[0].matchName", POLICY.replace("API.example.test", "x".repeat(64) + ".test"),
                "is not a DNS name");
        assertPolicy("egress[0].toPorts[0].dns", POLICY.replace("port: 53", "port: 5353"), "apply to port 53");
        assertPolicy("egress[0].toPorts[0].dns", POLICY.replace("protocol: UDP", "protocol: TCP"),
                "TCP queries of an endpoint with DNS rules are dropped");
        assertPolicy("egress[0].toPorts[0].dns", POLICY.replaceAll("(?s)dns:.*", "dns: api.example.test\n"),
                "expected a list");
        assertPolicy("egress[0].toPorts[0].dns[0]", POLICY.replace("- matchName: API.example.test", "- api.example.test"),
                "expected a mapping");
        assertPolicy("egress[0].toPorts[0].dns[0]", POLICY.replace("- matchName: API.example.test",
                "- { matchName: a.test, matchPattern: \"*.test\" }"), "give exactly one of matchName");
        assertPolicy("ingress[0].toPorts[0].dns", POLICY.replace("egress:", "ingress:").replace("toCIDR", "fromCIDR"),
                "belong to egress rules");
        assertPolicy("egressDeny[0].toPorts[0].dns", POLICY.replace("egress:", "egressDeny:"), "belong to egress rules");
    }

    private static void assertPolicy(String field, String yaml, String reason) {
        SpecException e = assertThrows(SpecException.class, () -> SpecReader.policy("p.yaml", yaml));
        assertEquals(field, e.field(), e.getMessage());
        assertTrue(e.line() > 0, e.getMessage());
        assertTrue(e.reason().contains(reason), e.getMessage());
        assertTrue(e.getMessage().startsWith("p.yaml:"), e.getMessage());
    }

    @Test
    void anEndpointGetsTheUnionOfItsPoliciesRulesAndNoneWithoutAny() {
        PolicySpec a = SpecReader.policy("a.yaml", POLICY);
        PolicySpec b = SpecReader.policy("b.yaml", POLICY.replace("name: dns", "name: more")
                .replace("API.example.test", "web.example.test").replace("\"*.example.org\"", "\"*.Example.NET\""));
        DnsQueryRules r = PolicyComputer.dnsQueryRules(List.of(a, b));
        assertTrue(r.enforced());
        assertEquals(List.of("api.example.test", "web.example.test"), List.copyOf(r.names()));
        assertEquals(List.of("example.net", "example.org"), List.copyOf(r.suffixes()));
        PolicySpec plain = SpecReader.policy("c.yaml", POLICY.replaceAll("(?s)\\n +dns:.*", "\n"));
        assertEquals(DnsQueryRules.NONE, PolicyComputer.dnsQueryRules(List.of(plain)));
        DnsQueryRules none = PolicyComputer.dnsQueryRules(List.of(SpecReader.policy("d.yaml", POLICY.replaceAll(
                "(?s)dns:.*", "dns: []\n"))));
        assertTrue(none.enforced(), "dns: [] refuses every name");
        assertFalse(none.allows("api.example.test"));
    }

    /** The dataplane's lookups (whole name, or the name without its first label) agree with FqdnSelector.matches. */
    @Test
    void judgesNamesAsTheToFqdnsMatcherDoes() {
        List<FqdnSelector> selectors = List.of(FqdnSelector.name("api.example.test"), FqdnSelector.pattern("*.example.org"),
                FqdnSelector.pattern("*.a.b.c"));
        DnsQueryRules r = DnsQueryRules.of(selectors);
        for (String name : List.of("api.example.test", "API.EXAMPLE.TEST.", "x.api.example.test", "pi.example.test",
                "www.example.org", "WWW.Example.Org", "example.org", "a.b.example.org", "x.a.b.c", "a.b.c",
                "y.x.a.b.c", "org", "", "evil.test", "api.example.test.evil", "-.example.org", "_srv.example.org")) {
            boolean matcher = selectors.stream().anyMatch(s -> s.matches(name));
            assertEquals(matcher, r.allows(name), name);
        }
        assertTrue(DnsQueryRules.of(List.of(FqdnSelector.pattern("*"))).allows("anything.at.all"));
        assertTrue(DnsQueryRules.NONE.allows("anything"), "no rules: not judged");
        assertThrows(IllegalArgumentException.class, () -> DnsQueryRules.of(List.of(FqdnSelector.pattern("a*.test"))));
    }

    @Test
    void portRulesRefuseDnsRulesOffPort53() {
        assertThrows(IllegalArgumentException.class, () -> new PortRule(80, Protocol.UDP, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new PortRule(53, Protocol.TCP, List.of()));
        assertEquals(List.of(), new PortRule(53, Protocol.ANY, List.of()).dns());
    }
}
