package io.kiln.maven.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.maven.Template;
import io.kiln.template.TemplateDescriptor;
import io.kiln.template.Templates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which variants a POM declares: defaults, explicit sets, the matrix and its excludes, and the errors. */
class VariantPlanTest {
    @TempDir
    Path dir;
    private TemplateDescriptor ep;

    @BeforeEach
    void template() throws IOException {
        Path t = Files.createDirectories(dir.resolve("ep"));
        Files.writeString(t.resolve("ep.template.yaml"), """
                name: ep
                programs:
                  main: { hook: tc-ingress }
                build:
                  ipv6: { type: bool, default: false }
                  tracking: { type: bool, default: true }
                  mode: { type: enum, values: [enforce, audit], default: enforce }
                  size: { type: int, min: 1, max: 100, default: 10 }
                """);
        Files.writeString(t.resolve("ep.bpf.c.ftl"), "// unused\n");
        ep = Templates.load(t);
    }

    private static Template declared(boolean matrix, List<String> variants, List<String> excludes) {
        Template t = new Template();
        t.setName("ep");
        t.setMatrix(matrix);
        t.setVariants(variants);
        t.setExcludes(excludes);
        return t;
    }

    private List<String> names(VariantPlan plan) {
        return plan.all().stream().map(PlannedVariant::displayName).toList();
    }

    @Test
    void aTemplateNobodyMentionsBuildsItsDefaultVariant() {
        assertEquals(List.of("ep()"), names(VariantPlan.of(List.of(ep), List.of(), false)));
    }

    @Test
    void theMatrixCoversBoolsAndEnumsWithTheDefaultFirst() {
        List<String> names = names(VariantPlan.of(List.of(ep), List.of(), true));
        assertEquals(8, names.size());
        assertEquals("ep()", names.get(0));
        assertTrue(names.contains("ep(ipv6=true,mode=audit,tracking=false)"), names.toString());
    }

    @Test
    void excludesDropMatrixEntriesMatchingAllTheirValuesAndExplicitSetsAreAdded() {
        Template t = declared(true, List.of("size=50", "default"), List.of("ipv6=true,tracking=false"));
        List<String> names = names(VariantPlan.of(List.of(ep), List.of(t), false));
        assertEquals(7, names.size(), names.toString());
        assertTrue(names.stream().noneMatch(n -> n.contains("ipv6=true") && n.contains("tracking=false")), names.toString());
        assertEquals("ep(size=50)", names.get(names.size() - 1));
    }

    @Test
    void explicitSetsOnlyAndRepeatsCountOnce() {
        Template t = declared(false, List.of("ipv6=true", "ipv6=true", "mode=audit, size=5"), List.of());
        assertEquals(List.of("ep(ipv6=true)", "ep(mode=audit,size=5)"), names(VariantPlan.of(List.of(ep), List.of(t), false)));
    }

    @Test
    void mistakesInThePomAreNamed() {
        Template nope = declared(false, List.of(), List.of());
        nope.setName("nope");
        ConfigurationException unknown = assertThrows(ConfigurationException.class,
                () -> VariantPlan.of(List.of(ep), List.of(nope), false));
        assertEquals("<templates>: no template named nope was found; found: ep", unknown.getMessage());

        ConfigurationException badValue = assertThrows(ConfigurationException.class,
                () -> VariantPlan.of(List.of(ep), List.of(declared(false, List.of("size=500"), List.of())), false));
        assertTrue(badValue.getMessage().startsWith("<template> ep: template ep: build parameter size: expected"),
                badValue.getMessage());

        ConfigurationException badExclude = assertThrows(ConfigurationException.class,
                () -> VariantPlan.of(List.of(ep), List.of(declared(true, List.of(), List.of("ipv7=true"))), false));
        assertTrue(badExclude.getMessage().contains("unknown build parameter 'ipv7'"), badExclude.getMessage());

        ConfigurationException all = assertThrows(ConfigurationException.class,
                () -> VariantPlan.of(List.of(ep), List.of(declared(true, List.of(), List.of("size=10"))), false));
        assertEquals("<template> ep: the excludes leave no variant of the matrix", all.getMessage());
    }
}
