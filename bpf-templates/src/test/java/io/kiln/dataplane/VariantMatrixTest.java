package io.kiln.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.build.BuiltVariant;
import io.kiln.compile.CompileException;
import io.kiln.compile.Diagnostic;
import io.kiln.template.BuildParameters;
import io.kiln.template.ConstantDecl;
import io.kiln.template.Parameters;
import io.kiln.template.TemplateDescriptor;
import io.kiln.template.Templates;
import io.kiln.testing.KernelRequirements;
import io.kiln.testing.SharedVariants;
import io.kiln.testing.TemplateUnderTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every variant of each template's build-parameter matrix compiles and passes the verifier with
 * three constant value sets (DESIGN.md's trap: a branch dead under one value set is never
 * verified): all zero as compiled, a typical endpoint, every byte 0xff. The combinations the
 * templates declare illegal must stop at their #error, with that error alone. Writes the
 * verifier's figures to target/verifier-figures.md.
 */
class VariantMatrixTest {
    private static final TemplateDescriptor ENDPOINT = Templates.load(Fixture.ENDPOINT);
    private static final TemplateDescriptor PREFILTER = Templates.load(Fixture.PREFILTER);
    private static final String LB_NEEDS_CT = "loadBalancing=true needs connectionTracking=true";
    private static final Map<String, String> FIGURES = new ConcurrentHashMap<>();

    static Stream<Arguments> variants() {
        List<Arguments> out = new ArrayList<>();
        for (TemplateDescriptor t : List.of(ENDPOINT, PREFILTER)) {
            for (BuildParameters p : Parameters.matrix(t)) {
                out.add(Arguments.of(t.name(), p));
            }
        }
        return out.stream();
    }

    /** Compiles the whole matrix up front, in parallel through the shared cache: the tests then only load. */
    @BeforeAll
    static void compileAll() {
        KernelRequirements.assumeTools("clang");
        List<CompletableFuture<BuiltVariant>> all = new ArrayList<>();
        for (TemplateDescriptor t : List.of(ENDPOINT, PREFILTER)) {
            for (BuildParameters p : Parameters.matrix(t)) {
                all.add(SharedVariants.builder().buildAsync(t, p));
            }
        }
        for (CompletableFuture<BuiltVariant> f : all) {
            f.exceptionally(e -> null).join(); // illegal variants fail; their test checks how
        }
    }

    static boolean illegal(BuildParameters p) {
        return Boolean.TRUE.equals(p.get("loadBalancing")) && Boolean.FALSE.equals(p.get("connectionTracking"));
    }

    @ParameterizedTest(name = "{0}({1})")
    @MethodSource("variants")
    void compilesAndPassesTheVerifierWithEveryValueSet(String template, BuildParameters parameters) {
        TemplateDescriptor t = template.equals(ENDPOINT.name()) ? ENDPOINT : PREFILTER;
        if (illegal(parameters)) {
            CompileException e = assertThrows(CompileException.class,
                    () -> TemplateUnderTest.of(t).parameters(parameters).build());
            assertTrue(e.getMessage().contains(LB_NEEDS_CT), e.getMessage());
            List<Diagnostic> errors = e.diagnostics().stream().filter(d -> d.severity().isError()).toList();
            assertEquals(1, errors.size(), "the #error is the only error: " + errors);
            assertTrue(errors.get(0).file().toString().endsWith("lb.h"), errors.get(0).toString());
            return;
        }
        StringBuilder row = new StringBuilder("| " + parameters.canonical() + " |");
        for (String valueSet : List.of("zero", "typical", "ones")) {
            TemplateUnderTest.Builder b = TemplateUnderTest.of(t).parameters(parameters);
            switch (valueSet) {
                case "typical" -> {
                    if (t == ENDPOINT) {
                        b.constants(Fixture.EP.constants());
                    } else {
                        b.constant("AUDIT_ONLY", true);
                    }
                }
                case "ones" -> {
                    for (ConstantDecl c : t.constants()) {
                        b.constantBytes(c.name(), EndpointMaps.ones(c.type().size()));
                    }
                }
                default -> { }
            }
            try (TemplateUnderTest loaded = b.load()) {
                for (var program : t.programs()) {
                    int processed = loaded.verifiedInstructions(program.name());
                    assertTrue(processed != 0, program.name() + " reports no verified instructions");
                    row.append(' ').append(program.name()).append(' ').append(processed)
                            .append(" (xlated ").append(loaded.program(program.name()).xlatedInstructions()).append(')');
                }
            }
            row.append(" |");
        }
        FIGURES.put(t.name() + " " + parameters.canonical(), row.toString());
    }

    @AfterAll
    static void writeFigures() throws IOException {
        if (FIGURES.isEmpty()) {
            return;
        }
        Path out = Path.of("target/verifier-figures.md");
        Files.createDirectories(out.getParent());
        StringBuilder sb = new StringBuilder("| variant | zero | typical | ones |\n|---|---|---|---|\n");
        FIGURES.keySet().stream().sorted().forEach(k -> sb.append(FIGURES.get(k)).append('\n'));
        Files.writeString(out, sb.toString());
    }
}
