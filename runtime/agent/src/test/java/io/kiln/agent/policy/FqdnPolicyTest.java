package io.kiln.agent.policy;

import io.kiln.agent.spec.Cidr;
import io.kiln.agent.spec.FqdnSelector;
import io.kiln.agent.spec.Labels;
import io.kiln.agent.spec.PolicySpec;
import io.kiln.agent.spec.SpecException;
import io.kiln.agent.spec.SpecJson;
import io.kiln.agent.spec.SpecReader;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** toFQDNs in a policy spec, and the peers it gives once addresses are learned. */
class FqdnPolicyTest {
    private static final String POLICY = """
            name: web-egress
            endpointSelector: { matchLabels: { app: web } }
            egress:
              - toFQDNs:
                  - matchName: API.example.test
                  - matchPattern: "*.cdn.test"
                toPorts: [ { port: 443, protocol: TCP } ]
              - toEntities: [ host ]
                toPorts: [ { port: 53, protocol: UDP } ]
            """;

    @Test
    void specsReadAndWriteNames() {
        PolicySpec p = SpecReader.policy("p.yaml", POLICY);
        assertEquals(List.of(FqdnSelector.name("api.example.test"), FqdnSelector.pattern("*.cdn.test")),
                p.egress().get(0).fqdns());
        String json = SpecJson.text(p);
        assertTrue(json.contains("\"toFQDNs\"") && json.contains("\"matchName\" : \"api.example.test\""), json);
        assertEquals(p.egress(), SpecReader.policy("api", json).egress(), "the API's JSON reads back the same");
    }

    @Test
    void badNameRulesNameTheField() {
        assertEquals("p.yaml:5:20: egress[0].toFQDNs[0].matchName: 'bad..name' is not a DNS name like"
                + " api.example.test (labels of letters, digits, '-' and '_', 1-63 characters each, 253 in all)",
                error(POLICY.replace("API.example.test", "bad..name")));
        assertTrue(error(POLICY.replace("- matchName: API.example.test", "- { matchName: a.test, matchPattern: b.test }"))
                .contains("egress[0].toFQDNs[0]: give exactly one of matchName"));
        assertTrue(error("name: x\nendpointSelector: {}\ningress:\n  - toFQDNs: [ { matchName: a.test } ]\n")
                .contains("unknown field 'toFQDNs' in an ingress rule"));
        assertTrue(error("name: x\nendpointSelector: {}\negressDeny:\n  - toFQDNs: [ { matchName: a.test } ]\n")
                .contains("egressDeny[0].toFQDNs: not allowed in a deny rule"));
    }

    @Test
    void learnedAddressesBecomePeersThroughTheirCidrIdentities() throws Exception {
        PolicySpec p = SpecReader.policy("p.yaml", POLICY);
        IdentifiedEndpoint web = new IdentifiedEndpoint(1, Labels.of("app", "web"), 300);
        InetAddress api = InetAddress.getByName("198.18.5.1");
        InetAddress edge = InetAddress.getByName("2001:db8::5");
        Map<Cidr, Integer> cidrIdentities = Map.of(Cidr.host(api), 16_777_300, Cidr.host(edge), 16_777_301);

        EndpointPolicy before = PolicyComputer.compute(List.of(web), List.of(p), cidrIdentities).get(1);
        assertEquals(PolicyAction.DENY, before.verdict(16_777_300, 443, 6, TrafficDirection.EGRESS),
                "nothing learned yet: names allow nothing");

        EndpointPolicy after = PolicyComputer.compute(List.of(web), List.of(p), cidrIdentities,
                Map.of(FqdnSelector.name("api.example.test"), Set.of(api),
                        FqdnSelector.pattern("*.cdn.test"), Set.of(edge))).get(1);
        assertEquals(PolicyAction.ALLOW, after.verdict(16_777_300, 443, 6, TrafficDirection.EGRESS));
        assertEquals(PolicyAction.ALLOW, after.verdict(16_777_301, 443, 6, TrafficDirection.EGRESS));
        assertEquals(PolicyAction.DENY, after.verdict(16_777_300, 80, 6, TrafficDirection.EGRESS), "port 443 only");
    }

    private static String error(String yaml) {
        return assertThrows(SpecException.class, () -> SpecReader.policy("p.yaml", yaml)).getMessage();
    }
}
