package io.kiln.template;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParametersTest {
    @TempDir
    Path tmp;

    private final TemplateDescriptor endpoint = Templates.load(TestTemplates.resource("endpoint"));

    @Test
    void defaultsFillWhatIsNotGiven() {
        BuildParameters p = Parameters.resolve(endpoint, Map.of());
        assertEquals(Map.of("ipv6", false, "ctSize", 65536L, "policyMode", "enforce", "prefix", "kiln"), p.values());
        assertEquals("ctSize=65536,ipv6=false,policyMode=enforce,prefix=kiln", p.canonical());
    }

    @Test
    void stringsFromTheCommandLineAreConverted() {
        BuildParameters p = Parameters.resolve(endpoint, Parameters.parseAssignments(
                List.of("ipv6=true", "ctSize=0x400", "policyMode=audit", "prefix=cil_ium")));
        assertEquals(Map.of("ipv6", true, "ctSize", 1024L, "policyMode", "audit", "prefix", "cil_ium"), p.values());
    }

    @Test
    void typedValuesFromYamlAreAccepted() {
        BuildParameters p = Parameters.resolve(endpoint, Map.of("ipv6", true, "ctSize", 1048576, "policyMode", "off"));
        assertEquals(true, p.get("ipv6"));
        assertEquals(1048576L, p.get("ctSize"));
        assertEquals("off", p.get("policyMode"));
        assertEquals(2048L, Parameters.resolve(endpoint, Map.of("ctSize", BigInteger.valueOf(2048))).get("ctSize"));
        // policyMode: off, unquoted in a YAML spec, reaches us as false.
        assertEquals("off", Parameters.resolve(endpoint, Map.of("policyMode", false)).get("policyMode"));
    }

    @Test
    void badValuesNameTemplateParameterAndExpectation() {
        assertError(Map.of("ipv6", "yes"), "template endpoint: build parameter ipv6: expected true or false, got 'yes'");
        assertError(Map.of("ipv6", 1), "template endpoint: build parameter ipv6: expected true or false, got 1");
        assertError(Map.of("ctSize", "12"),
                "template endpoint: build parameter ctSize: expected an integer between 1024 and 1048576, got '12'");
        assertError(Map.of("ctSize", 2000000L),
                "template endpoint: build parameter ctSize: expected an integer between 1024 and 1048576, got 2000000");
        assertError(Map.of("ctSize", "1,000,000"),
                "template endpoint: build parameter ctSize: expected an integer between 1024 and 1048576, got '1,000,000'");
        assertError(Map.of("ctSize", 4096.0),
                "template endpoint: build parameter ctSize: expected an integer between 1024 and 1048576, got 4096.0");
        assertError(Map.of("ctSize", "99999999999999999999"),
                "template endpoint: build parameter ctSize: expected an integer between 1024 and 1048576, got '99999999999999999999'");
        assertError(Map.of("policyMode", true),
                "template endpoint: build parameter policyMode: expected one of enforce, audit, off, got true");
        assertError(Map.of("policyMode", "strict"),
                "template endpoint: build parameter policyMode: expected one of enforce, audit, off, got 'strict'");
        assertError(Map.of("prefix", "a b"), "template endpoint: build parameter prefix: expected a C identifier,"
                + " got 'a b' ('a b' is not a C identifier (letters, digits and _, not starting with a digit))");
        assertError(Map.of("prefix", "struct"),
                "template endpoint: build parameter prefix: expected a C identifier, got 'struct' ('struct' is a C keyword)");
        assertError(Map.of("ipv7", "true"),
                "template endpoint: unknown build parameter 'ipv7'; declared: ipv6, ctSize, policyMode, prefix");
    }

    @Test
    void nullValueIsAnError() {
        Map<String, Object> given = new java.util.HashMap<>();
        given.put("ipv6", null);
        assertError(given, "template endpoint: build parameter ipv6: expected true or false, got nothing");
    }

    @Test
    void templateWithoutParametersSaysSo() {
        TemplateDescriptor hello = Templates.load(TestTemplates.repositoryRoot().resolve("examples/templates/hello"));
        TemplateDescriptor bare = new TemplateDescriptor("bare", hello.root(), hello.descriptorFile(),
                hello.templateFile(), hello.includeDirs(), hello.programs(), List.of(), List.of(), List.of());
        ParameterException e = assertThrows(ParameterException.class, () -> Parameters.resolve(bare, Map.of("x", "1")));
        assertEquals("template bare: unknown build parameter 'x'; the template declares no build parameters", e.getMessage());
        assertEquals(List.of(BuildParameters.of(Map.of())), Parameters.matrix(bare));
    }

    private void assertError(Map<String, ?> given, String message) {
        ParameterException e = assertThrows(ParameterException.class, () -> Parameters.resolve(endpoint, given));
        assertEquals(message, e.getMessage());
        assertEquals("endpoint", e.template());
        assertTrue(e.isUserError());
    }

    @Test
    void matrixCoversBoolsAndEnumsWithDefaultsFirst() {
        List<BuildParameters> m = Parameters.matrix(endpoint);
        assertEquals(6, m.size());
        assertEquals(Parameters.resolve(endpoint, Map.of()), m.get(0));
        assertEquals(6, new HashSet<>(m).size());
        for (BuildParameters p : m) {
            assertEquals(65536L, p.get("ctSize"));
            assertEquals("kiln", p.get("prefix"));
            assertEquals(p, Parameters.resolve(endpoint, p.values()));
        }
        assertEquals(List.of("ctSize=65536,ipv6=false,policyMode=enforce,prefix=kiln",
                "ctSize=65536,ipv6=false,policyMode=audit,prefix=kiln",
                "ctSize=65536,ipv6=false,policyMode=off,prefix=kiln",
                "ctSize=65536,ipv6=true,policyMode=enforce,prefix=kiln",
                "ctSize=65536,ipv6=true,policyMode=audit,prefix=kiln",
                "ctSize=65536,ipv6=true,policyMode=off,prefix=kiln"),
                m.stream().map(BuildParameters::canonical).toList());
    }

    @Test
    void matrixRefusesAnExplosion() {
        StringBuilder build = new StringBuilder();
        for (int i = 0; i < 13; i++) {
            build.append("  b").append(i).append(": { type: bool, default: false }\n");
        }
        TemplateDescriptor t = Templates.load(TestTemplates.write(tmp, "t", "name: t\nprograms:\n  p: { hook: xdp }\nbuild:\n" + build, "x"));
        ParameterException e = assertThrows(ParameterException.class, () -> Parameters.matrix(t));
        assertTrue(e.getMessage().startsWith("template t: its bool and enum build parameters make more than 4096 variants"),
                e.getMessage());
    }

    @Test
    void parseAssignments() {
        assertEquals(List.of("a", "b", "c"), List.copyOf(Parameters.parseAssignments(List.of("a=1", "b=", "c=x=y")).keySet()));
        assertEquals("x=y", Parameters.parseAssignments(List.of("c=x=y")).get("c"));
        assertEquals("", Parameters.parseAssignments(List.of("b=")).get("b"));

        ParameterException e = assertThrows(ParameterException.class, () -> Parameters.parseAssignments(List.of("ipv6")));
        assertEquals("expected NAME=VALUE, got 'ipv6' (no '=')", e.getMessage());
        e = assertThrows(ParameterException.class, () -> Parameters.parseAssignments(List.of("=true")));
        assertEquals("expected NAME=VALUE, got '=true' (no name before '=')", e.getMessage());
        e = assertThrows(ParameterException.class, () -> Parameters.parseAssignments(List.of("a=1", "a=2")));
        assertEquals("'a' is set twice: 'a=1' and 'a=2'", e.getMessage());
    }
}
