package io.kiln.template;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every variant of the example templates renders into C that real clang compiles for BPF, with
 * the flags the build uses. Warnings are errors here: a template should not make clang complain.
 */
class CompileVariantsTest {
    private static final Renderer RENDERER = new Renderer();

    @TempDir
    Path tmp;

    static Stream<Arguments> variants() {
        return Stream.of(TestTemplates.repositoryRoot().resolve("examples/templates/hello"),
                        TestTemplates.resource("endpoint"))
                .map(Templates::load)
                .flatMap(t -> Parameters.matrix(t).stream().map(p -> Arguments.of(t.name(), t, p)));
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("variants")
    void everyVariantCompiles(String name, TemplateDescriptor t, BuildParameters p) throws Exception {
        Clang.assumeAvailable();
        RenderedSource source = RENDERER.render(t, p);
        Clang.Result r = Clang.compile(tmp, source.fileName(), source.text(), t.includeDirs());
        assertEquals(0, r.exitCode(), () -> r.stderr() + "\n--- rendered:\n" + source.text());
        assertEquals("", r.stderr(), "clang warned");
        Path object = tmp.resolve(source.fileName() + ".o");
        assertTrue(Files.size(object) > 0);
        assertConstantsInRodata(t, object);
    }

    /** The runtime specializes an object by rewriting .rodata: every declared constant must be there, by name. */
    private void assertConstantsInRodata(TemplateDescriptor t, Path object) throws Exception {
        Path bpftool = Path.of("/usr/sbin/bpftool");
        if (!Files.isExecutable(bpftool) || t.constants().isEmpty()) {
            return;
        }
        Clang.Result btf = Clang.run(tmp, List.of(bpftool.toString(), "btf", "dump", "file", object.toString()));
        assertEquals(0, btf.exitCode(), btf.stderr());
        String rodata = btf.stdout().substring(btf.stdout().indexOf("DATASEC '.rodata'"));
        for (ConstantDecl c : t.constants()) {
            assertTrue(rodata.contains("(VAR '" + c.name() + "')"), c.name() + " not in .rodata:\n" + rodata);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("templates")
    void matrixOfTheExamples(String name, int expected) {
        Path folder = name.equals("hello") ? TestTemplates.repositoryRoot().resolve("examples/templates/hello")
                : TestTemplates.resource(name);
        assertEquals(expected, Parameters.matrix(Templates.load(folder)).size());
    }

    static List<Arguments> templates() {
        return List.of(Arguments.of("hello", 2), Arguments.of("endpoint", 6));
    }
}
