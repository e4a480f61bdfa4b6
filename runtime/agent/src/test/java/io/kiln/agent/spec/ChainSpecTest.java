package io.kiln.agent.spec;

import io.kiln.agent.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An endpoint spec's {@code chain:}: read in order, each entry checked against its own template. */
class ChainSpecTest {
    private static final String SPEC = """
            id: 12
            interface: lxc-web-1
            template: endpoint
            addresses: { ipv4: 198.18.0.12 }
            chain:
              - template: syn_guard
                build: { ipv6: true }
                constants: { SYN_BUDGET: 20, WINDOW_MS: 500 }
              - template: syn_guard # second
            mac: "02:00:00:00:00:0c"
            """;

    private static TemplateCatalog catalog() {
        return TemplateCatalog.scan(List.of(Fixtures.templates(), Path.of("../../bpf-templates/src/main/bpf/syn_guard")));
    }

    private static SpecException invalid(String yaml) {
        return assertThrows(SpecException.class, () -> EndpointValidator.validate(SpecReader.endpoint("web.yaml", yaml),
                catalog()));
    }

    @Test
    void readsTheChainInOrderAndResolvesEachTemplate() {
        EndpointSpec s = SpecReader.endpoint("web.yaml", SPEC);
        assertEquals(2, s.chain().size());
        assertEquals("syn_guard", s.chain().get(0).template());
        assertEquals(Map.of("SYN_BUDGET", 20L, "WINDOW_MS", 500L), s.chain().get(0).constants());
        assertEquals(Map.of("ipv6", true), s.chain().get(0).build());
        assertEquals(Map.of(), s.chain().get(1).constants());
        assertEquals(7, s.origin().line("chain[0].build.ipv6"));

        EndpointValidator.Valid v = EndpointValidator.validate(s, catalog());
        assertEquals(2, v.chain().size());
        assertEquals(true, v.chain().get(0).build().get("ipv6"));
        assertEquals(false, v.chain().get(1).build().get("ipv6"), "defaults filled in");
        assertEquals(4096L, v.chain().get(1).build().get("sources"));
    }

    @Test
    void anUnknownTemplateNamesTheChainEntry() {
        SpecException e = invalid(SPEC.replace("syn_guard # second", "syn_gaurd"));
        assertEquals("chain[1].template", e.field(), e.getMessage());
        assertEquals(9, e.line(), e.getMessage());
        assertTrue(e.reason().startsWith("unknown template 'syn_gaurd'; known: endpoint, syn_guard"), e.getMessage());
    }

    @Test
    void badConstantsAndBuildParametersNameTheirField() {
        SpecException c = invalid(SPEC.replace("SYN_BUDGET: 20", "SYN_BUDGET: -3"));
        assertEquals("chain[0].constants.SYN_BUDGET", c.field(), c.getMessage());
        assertEquals(8, c.line(), c.getMessage());
        assertEquals("web.yaml:8: chain[0].constants.SYN_BUDGET: expected an integer from 0 to 4294967295, got -3"
                + " (template syn_guard)", c.getMessage());
        SpecException u = invalid(SPEC.replace("SYN_BUDGET: 20", "SYN_BUDGT: 20"));
        assertEquals("chain[0].constants.SYN_BUDGT", u.field(), u.getMessage());
        SpecException b = invalid(SPEC.replace("ipv6: true", "ipv6: 1"));
        assertEquals("chain[0].build.ipv6", b.field(), b.getMessage());
        assertEquals(7, b.line(), b.getMessage());
    }

    @Test
    void theEntryItselfIsChecked() {
        SpecException f = assertThrows(SpecException.class, () -> SpecReader.endpoint("web.yaml",
                SPEC.replace("# second", "\n    hook: tc-ingress")));
        assertEquals("chain[1].hook", f.field(), f.getMessage());
        assertTrue(f.reason().contains("allowed: template, build, constants"), f.getMessage());
        SpecException d = assertThrows(SpecException.class, () -> SpecReader.endpoint("web.yaml",
                SPEC.replace("SYN_BUDGET: 20", "ENDPOINT_ID: 20")));
        assertEquals("chain[0].constants.ENDPOINT_ID", d.field(), d.getMessage());
        SpecException m = assertThrows(SpecException.class, () -> SpecReader.endpoint("web.yaml",
                SPEC.replace("  - template: syn_guard # second", "  - syn_guard")));
        assertEquals("chain[1]", m.field(), m.getMessage());
        String nine = SPEC.replace("mac: ", "  - template: syn_guard\n".repeat(7) + "mac: ");
        SpecException n = assertThrows(SpecException.class, () -> SpecReader.endpoint("web.yaml", nine));
        assertEquals("chain", n.field(), n.getMessage());
    }
}
