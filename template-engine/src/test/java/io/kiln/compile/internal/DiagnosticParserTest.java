package io.kiln.compile.internal;

import io.kiln.compile.Diagnostic;
import io.kiln.compile.Diagnostic.Severity;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class DiagnosticParserTest {
    @Test
    void mapsRelativeNamesToTheTemplateRootAndKeepsTheRest() {
        String output = """
                In file included from hello.bpf.c.ftl:3:
                /usr/include/linux/types.h:5:10: fatal error: 'asm/types.h' file not found
                #include <asm/types.h>
                         ^~~~~~~~~~~~~
                lib/parts.ftl:4:2: warning: unused variable 'x' [-Wunused-variable]
                hello.bpf.c.ftl:12:5: note: previous definition is here
                hello.bpf.c:1:1: error: unknown type name 'foo'
                hello.bpf.c.ftl:2:1: remark: a remark: with a colon
                1 error generated.
                """;
        List<Diagnostic> parsed = new DiagnosticParser(Path.of("/checkout/templates"), "hello.bpf.c").parse(output);
        assertEquals(List.of(
                new Diagnostic(Path.of("/usr/include/linux/types.h"), 5, 10, Severity.FATAL_ERROR,
                        "'asm/types.h' file not found"),
                new Diagnostic(Path.of("/checkout/templates/lib/parts.ftl"), 4, 2, Severity.WARNING,
                        "unused variable 'x' [-Wunused-variable]"),
                new Diagnostic(Path.of("/checkout/templates/hello.bpf.c.ftl"), 12, 5, Severity.NOTE,
                        "previous definition is here"),
                new Diagnostic(Path.of("hello.bpf.c"), 1, 1, Severity.ERROR, "unknown type name 'foo'"),
                new Diagnostic(Path.of("/checkout/templates/hello.bpf.c.ftl"), 2, 1, Severity.REMARK,
                        "a remark: with a colon")), parsed);
        assertEquals("/checkout/templates/lib/parts.ftl:4:2: warning: unused variable 'x' [-Wunused-variable]",
                parsed.get(1).toString());
    }
}
