package io.kiln.agent.spec;

import io.kiln.agent.Fixtures;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpecReaderTest {
    private static final String FULL = """
            id: 12
            interface: lxc-web-1
            template: endpoint
            build: { ipv6: true, policyMode: off }
            constants: { GATEWAY_IPV4: 198.18.0.1 }
            addresses:
              ipv4: 198.18.0.12
              ipv6: "2001:db8::c"
            mac: "02:00:00:00:00:0C"
            labels: { app: web, tier: front, version: 2 }
            identity: 3001
            namespace: kiln-test-web
            """;

    @Test
    void readsEveryEndpointField() {
        EndpointSpec s = SpecReader.endpoint("web.yaml", FULL);
        assertEquals(12, s.id());
        assertEquals("lxc-web-1", s.interfaceName());
        assertEquals("endpoint", s.template());
        assertEquals(Map.of("ipv6", true, "policyMode", false), s.build());
        assertEquals(Map.of("GATEWAY_IPV4", "198.18.0.1"), s.constants());
        assertEquals("198.18.0.12", AddressLiterals.format(s.addresses().ipv4()));
        assertEquals("2001:db8::c", AddressLiterals.format(s.addresses().ipv6()));
        assertEquals("02:00:00:00:00:0c", s.mac());
        assertEquals(Labels.of("app", "web", "tier", "front", "version", "2"), s.labels());
        assertEquals(3001, s.identity());
        assertEquals("kiln-test-web", s.namespace());
        assertEquals(7, s.origin().line("addresses.ipv4"));
        assertEquals(10, s.origin().line("labels.tier"));
    }

    @Test
    void readsJsonWithItsLines() {
        String json = """
                {
                  "id": 3,
                  "interface": "lxc3",
                  "template": "endpoint",
                  "addresses": {"ipv4": "198.18.0.3"},
                  "labels": {"app": "db"},
                  "colour": "blue"
                }
                """;
        SpecException e = assertThrows(SpecException.class, () -> SpecReader.endpoint("api", json));
        assertEquals(7, e.line());
        assertEquals("colour", e.field());
        assertTrue(e.getMessage().startsWith("api:7:"), e.getMessage());
        EndpointSpec ok = SpecReader.endpoint("api", json.replace(",\n  \"colour\": \"blue\"", ""));
        assertEquals(3, ok.id());
        assertNull(ok.mac());
        assertNull(ok.identity());
    }

    @Test
    void unknownFieldNamesFileLineAndField() {
        SpecException e = assertThrows(SpecException.class,
                () -> SpecReader.endpoint("endpoints/web.yaml", FULL.replace("mac:", "macaddr:")));
        assertEquals("endpoints/web.yaml", e.source());
        assertEquals(9, e.line());
        assertEquals("macaddr", e.field());
        assertTrue(e.getMessage().startsWith("endpoints/web.yaml:9:1: macaddr: unknown field 'macaddr' in an endpoint;"
                + " allowed: id, interface"), e.getMessage());
        assertTrue(e.isUserError());
    }

    @Test
    void badAddressNamesItsField() {
        SpecException e = assertThrows(SpecException.class,
                () -> SpecReader.endpoint("web.yaml", FULL.replace("198.18.0.12", "198.18.0.300")));
        assertEquals(7, e.line());
        assertEquals("addresses.ipv4", e.field());
        assertTrue(e.reason().contains("'198.18.0.300'"), e.reason());
        SpecException v6 = assertThrows(SpecException.class,
                () -> SpecReader.endpoint("web.yaml", FULL.replace("2001:db8::c", "2001:db8::c::1")));
        assertEquals("addresses.ipv6", v6.field());
        SpecException mac = assertThrows(SpecException.class,
                () -> SpecReader.endpoint("web.yaml", FULL.replace("02:00:00:00:00:0C", "03:00:00:00:00:0c")));
        assertTrue(mac.reason().contains("multicast"), mac.reason());
    }

    @Test
    void refusesBadFields() {
        assertField("id", FULL.replace("id: 12", "id: 70000"), "from 1 to 65535");
        assertField("id", FULL.replace("id: 12", "id: web"), "from 1 to 65535");
        assertField("interface", FULL.replace("lxc-web-1", "lxc-very-long-name0"), "the name is 19 bytes long, at most 15");
        assertField("template", FULL.replace("template: endpoint\n", ""), "missing required field 'template'");
        assertField("constants.IDENTITY", FULL.replace("{ GATEWAY_IPV4", "{ IDENTITY: 5, GATEWAY_IPV4"),
                "set by the agent");
        assertField("labels.Tier!", FULL.replace("tier: front", "Tier!: front"), "label key");
        assertField("identity", FULL.replace("3001", "3"), "from 256 to 16777215");
        assertField("build.ipv6", FULL.replace("ipv6: true", "ipv6: [true]"), "a single value");
        assertField("labels.tier", FULL.replace("version: 2 }", "version: 2, tier: back }"), "duplicate key");
    }

    @Test
    void malformedYamlNamesTheLine() {
        SpecException e = assertThrows(SpecException.class,
                () -> SpecReader.endpoint("web.yaml", "id: 1\ninterface: [lxc1\ntemplate: endpoint\n"));
        assertTrue(e.line() >= 2, e.getMessage());
        assertTrue(e.reason().startsWith("malformed YAML"), e.getMessage());
        SpecException empty = assertThrows(SpecException.class, () -> SpecReader.endpoint("web.yaml", "# nothing\n"));
        assertTrue(empty.reason().contains("empty"), empty.getMessage());
    }

    @Test
    void readsPolicies() {
        PolicySpec p = SpecReader.policy("p.yaml", """
                name: web
                endpointSelector: { matchLabels: { app: web } }
                ingress:
                  - fromEndpoints: [ { matchLabels: { app: client } } ]
                    toPorts: [ { port: 80, protocol: TCP }, { port: 53 }, { protocol: icmp } ]
                  - fromCIDR: [ 198.19.0.0/16 ]
                    fromEntities: [ host ]
                egressDeny:
                  - toCIDR: [ "2001:db8::/32" ]
                """);
        assertEquals("web", p.name());
        assertEquals(LabelSelector.of(Map.of("app", "web")), p.endpointSelector());
        assertEquals(2, p.ingress().size());
        assertEquals(List.of(new PortRule(80, Protocol.TCP), new PortRule(53, Protocol.ANY), new PortRule(0, Protocol.ICMP)),
                p.ingress().get(0).ports());
        assertEquals(List.of(Cidr.parse("198.19.0.0/16")), p.ingress().get(1).cidrs());
        assertEquals(List.of(Entity.HOST), p.ingress().get(1).entities());
        assertNull(p.egress(), "absent egress is not an empty list");
        assertEquals("2001:db8::/32", p.egressDeny().get(0).cidrs().get(0).toString());
        PolicySpec empty = SpecReader.policy("p.yaml", "name: lock\nendpointSelector: {}\ningress: []\n");
        assertEquals(List.of(), empty.ingress());
        assertEquals(LabelSelector.ALL, empty.endpointSelector());
    }

    @Test
    void refusesBadPolicies() {
        String base = "name: web\nendpointSelector: { matchLabels: { app: web } }\ningress:\n  - ";
        assertPolicy("ingress[0].toEndpoints", base + "toEndpoints: []\n", "unknown field 'toEndpoints' in an ingress rule");
        assertPolicy("ingress[0].fromCIDR[0]", base + "fromCIDR: [198.19.0.1/16]\n", "did you mean 198.19.0.0/16?");
        assertPolicy("ingress[0].toPorts[0].port", base + "toPorts: [{port: 8, protocol: ICMP}]\n", "ICMP has no ports");
        assertPolicy("ingress[0].toPorts[0].protocol", base + "toPorts: [{port: 8, protocol: SCTP}]\n", "unknown protocol");
        assertPolicy("ingress[0].toPorts[0].port", base + "toPorts: [{port: 65536}]\n", "from 0 to 65535");
        assertPolicy("ingress[0].fromEntities[0]", base + "fromEntities: [cluster]\n", "unknown entity");
        assertPolicy("name", "name: Web_1\nendpointSelector: {}\n", "not a valid name");
        assertPolicy("endpointSelector.matchExpressions", "name: w\nendpointSelector: {matchExpressions: []}\n",
                "unknown field");
    }

    @Test
    void readsServices() {
        ServiceSpec s = SpecReader.service("s.yaml", """
                name: web
                vip: 198.18.200.1
                port: 80
                backends:
                  - { address: 198.18.0.12, port: 8080 }
                  - { address: 198.18.0.13, port: 8080 }
                """);
        assertEquals(Protocol.TCP, s.protocol());
        assertEquals(2, s.backends().size());
        SpecException e = assertThrows(SpecException.class, () -> SpecReader.service("s.yaml",
                "name: web\nvip: 198.18.200.1\nport: 80\nprotocol: ICMP\n"));
        assertEquals("protocol", e.field());
        SpecException fam = assertThrows(SpecException.class, () -> SpecReader.service("s.yaml",
                "name: web\nvip: 198.18.200.1\nport: 80\nbackends: [{address: '2001:db8::1', port: 1}]\n"));
        assertEquals("backends[0].address", fam.field());
    }

    @Test
    void readsKubernetesObjects() {
        Map<String, Object> spec = Map.of("endpointSelector", Map.of("matchLabels", Map.of("app", "web")),
                "ingress", List.of(Map.of("toPorts", List.of(Map.of("port", 80, "protocol", "TCP")))));
        PolicySpec p = SpecReader.kubernetesPolicy("KilnPolicy default/web", spec, "default/web", "default");
        assertEquals("default/web", p.name());
        assertEquals("default", p.namespace());
        SpecException e = assertThrows(SpecException.class, () -> SpecReader.kubernetesPolicy("KilnPolicy default/w",
                Map.of("endpointSelector", Map.of(), "ingres", List.of()), "default/w", "default"));
        assertEquals("KilnPolicy default/w: spec.ingres: unknown field 'ingres' in a KilnPolicy spec; allowed:"
                + " endpointSelector, ingress, egress, ingressDeny, egressDeny", e.getMessage());
    }

    @Test
    void checksEndpointsAgainstTheirTemplate() {
        TemplateCatalog catalog = Fixtures.catalog();
        EndpointSpec ok = SpecReader.endpoint("web.yaml", FULL);
        EndpointValidator.Valid v = EndpointValidator.validate(ok, catalog);
        assertEquals("off", v.build().get("policyMode"), "YAML's off is the enum value off");
        assertEquals(16384L, v.build().get("policySize"));

        SpecException t = assertThrows(SpecException.class, () -> EndpointValidator.validate(
                SpecReader.endpoint("web.yaml", FULL.replace("template: endpoint", "template: endpiont")), catalog));
        assertEquals("web.yaml:3: template: unknown template 'endpiont'; known: endpoint", t.getMessage());
        SpecException b = assertThrows(SpecException.class, () -> EndpointValidator.validate(
                SpecReader.endpoint("web.yaml", FULL.replace("ipv6: true", "ipv6: 1")), catalog));
        assertEquals(4, b.line());
        assertEquals("build.ipv6", b.field());
        assertTrue(b.reason().contains("expected true or false, got 1"), b.getMessage());
        SpecException u = assertThrows(SpecException.class, () -> EndpointValidator.validate(
                SpecReader.endpoint("web.yaml", FULL.replace("ipv6: true", "ipv4only: true")), catalog));
        assertEquals("build.ipv4only", u.field());
        assertTrue(u.reason().contains("unknown build parameter 'ipv4only'"), u.getMessage());
        SpecException c = assertThrows(SpecException.class, () -> EndpointValidator.validate(
                SpecReader.endpoint("web.yaml", FULL.replace("GATEWAY_IPV4: 198.18.0.1", "GATEWAY_IPV4: 198.18.0")),
                catalog));
        assertEquals("constants.GATEWAY_IPV4", c.field());
        assertEquals(5, c.line());
        SpecException m = assertThrows(SpecException.class, () -> EndpointValidator.validate(
                SpecReader.endpoint("web.yaml", FULL.replace("mac: \"02:00:00:00:00:0C\"\n", "")), catalog));
        assertEquals("mac", m.field());
        assertEquals("web.yaml: mac: missing; template endpoint needs the MAC of the endpoint's interface"
                + " (ENDPOINT_MAC: it drops frames from any other source MAC), like 02:00:00:00:00:0c", m.getMessage());
    }

    private static void assertField(String field, String yaml, String reason) {
        SpecException e = assertThrows(SpecException.class, () -> SpecReader.endpoint("web.yaml", yaml));
        assertEquals(field, e.field(), e.getMessage());
        assertTrue(e.line() > 0, e.getMessage());
        assertTrue(e.reason().contains(reason), e.getMessage());
    }

    private static void assertPolicy(String field, String yaml, String reason) {
        SpecException e = assertThrows(SpecException.class, () -> SpecReader.policy("p.yaml", yaml));
        assertEquals(field, e.field(), e.getMessage());
        assertTrue(e.line() > 0, e.getMessage());
        assertTrue(e.reason().contains(reason), e.getMessage());
    }
    @Test
    void interfaceNamesFollowTheKernelsRulesAndRefuseControlCharacters() {
        String good = Fixtures.endpointYaml(1, Map.of("app", "web"));
        String[][] bad = {
                {"\"lo\\0x\"", "'lo\\u0000x' is not an interface name: character 3 is U+0000"},
                {"\"lo\\tx\"", "'lo\\u0009x' is not an interface name: character 3 is U+0009"},
                {"\"lo\\x1bx\"", "'lo\\u001bx' is not an interface name: character 3 is U+001B"},
                {"a23456789012345x", "the name is 16 bytes long, at most 15"},
                {"\"\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\"", "the name is 16 bytes long, at most 15"},
                {"a/b", "character 2 is '/'"},
                {"a:b", "character 2 is ':'"},
                {"..", "'..' is not a name"},
                {"\"\"", "the name is empty"},
        };
        for (String[] b : bad) {
            String yaml = good.replace("interface: lxc1", "interface: " + b[0]);
            SpecException e = assertThrows(SpecException.class, () -> SpecReader.endpoint("endpoints/1.yaml", yaml),
                    b[0]);
            assertTrue(e.getMessage().startsWith("endpoints/1.yaml:2:"), e.getMessage());
            assertEquals("interface", e.field(), e.getMessage());
            assertTrue(e.getMessage().contains(b[1]), b[0] + " -> " + e.getMessage());
        }
        // JSON from the API: the NUL must not vanish on the way to if_nametoindex either
        String json = "{\"id\": 1, \"interface\": \"lo\\u0000x\", \"template\": \"endpoint\"}";
        assertTrue(assertThrows(SpecException.class, () -> SpecReader.endpoint("api", json)).getMessage()
                .contains("character 3 is U+0000"));
        assertEquals("lxc1", SpecReader.endpoint("endpoints/1.yaml", good).interfaceName());
    }
}
