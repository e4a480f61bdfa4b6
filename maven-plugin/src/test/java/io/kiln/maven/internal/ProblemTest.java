package io.kiln.maven.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.build.ContractMismatchException;
import io.kiln.template.DescriptorException;
import io.kiln.template.Parameters;
import io.kiln.template.RenderException;
import io.kiln.template.Renderer;
import io.kiln.template.TemplateDescriptor;
import io.kiln.template.Templates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Errors in the file:[line,col] form IDEs and CI link to the source. */
class ProblemTest {
    @TempDir
    Path dir;

    @Test
    void aFreeMarkerErrorPointsAtTheTemplateLine() throws Exception {
        Path t = Files.createDirectories(dir.resolve("t"));
        Files.writeString(t.resolve("t.template.yaml"), "name: t\nprograms:\n  p: { hook: xdp }\n");
        Files.writeString(t.resolve("t.bpf.c.ftl"), "// line 1\n// line 2\nint x = ${missing};\n");
        TemplateDescriptor d = Templates.load(t);
        RenderException e = assertThrows(RenderException.class,
                () -> new Renderer().render(d, Parameters.resolve(d, Map.of())));
        List<Problem> problems = Problem.of(e);
        assertEquals(1, problems.size());
        String text = problems.get(0).toString();
        assertTrue(text.startsWith(t.resolve("t.bpf.c.ftl").toAbsolutePath() + ":[3,"), text);
        assertTrue(text.contains("missing"), text);
    }

    @Test
    void aDescriptorErrorNamesTheField() {
        DescriptorException e = new DescriptorException(Path.of("/x/t.template.yaml"), 4, 11, "programs.main.hook",
                "unknown hook 'tc-sideways'");
        assertEquals("/x/t.template.yaml:[4,11] programs.main.hook: unknown hook 'tc-sideways'",
                Problem.of(e).get(0).toString());
        assertEquals("/x/t.template.yaml no such file",
                Problem.of(new DescriptorException(Path.of("/x/t.template.yaml"), 0, 0, "", "no such file")).get(0)
                        .toString());
    }

    @Test
    void aContractMismatchPointsAtEachDeclarationLine() {
        Path descriptor = Path.of("/x/guard.template.yaml");
        ContractMismatchException e = new ContractMismatchException("whole message", "guard", "guard(ipv6=false)",
                descriptor, List.of(new ContractMismatchException.Mismatch(8, "maps.syn_counts6", "map syn_counts6 is"
                        + " declared but the object has no such map"),
                        new ContractMismatchException.Mismatch(0, "", "map extra is in the object but not declared")));
        List<Problem> problems = Problem.of(e);
        assertEquals(List.of("/x/guard.template.yaml:[8,1] template guard: variant guard(ipv6=false): map syn_counts6"
                        + " is declared but the object has no such map",
                "/x/guard.template.yaml template guard: variant guard(ipv6=false): map extra is in the object but not"
                        + " declared"), problems.stream().map(Problem::toString).toList());
    }
}
