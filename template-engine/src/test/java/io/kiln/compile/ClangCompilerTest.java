package io.kiln.compile;

import io.kiln.KilnException;
import io.kiln.template.RenderedSource;
import io.kiln.template.TemplateDescriptor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClangCompilerTest {
    private static final int EM_BPF = 247;
    private static ClangCompiler compiler;

    @BeforeAll
    static void locateClang() {
        compiler = new ClangCompiler(TestSources.clang(), Duration.ofSeconds(60));
    }

    @Test
    void compilesABpfObjectWithBtfAndListsItsHeaders(@TempDir Path base) throws IOException {
        TemplateDescriptor template = TestSources.layout(base);
        CompileResult result = compiler.compile(TestSources.source(template, 1));

        byte[] object = result.object();
        assertArrayEquals(new byte[] {0x7f, 'E', 'L', 'F'}, java.util.Arrays.copyOf(object, 4));
        assertEquals(EM_BPF, (object[18] & 0xff) | (object[19] & 0xff) << 8, "e_machine");
        String text = new String(object, StandardCharsets.ISO_8859_1);
        assertTrue(text.contains(".BTF"), "object has BTF");
        assertTrue(text.contains(".rodata"), "the volatile const lives in .rodata");

        Path lib = base.resolve("lib").toAbsolutePath().normalize();
        assertTrue(result.headers().contains(lib.resolve(TestSources.HEADER)), result.headers().toString());
        assertTrue(result.headers().contains(Path.of("/usr/include/bpf/bpf_helpers.h")), result.headers().toString());
        assertTrue(result.headers().contains(Path.of("/usr/include/x86_64-linux-gnu/asm/types.h")),
                "asm/ headers come from the multiarch folder: " + result.headers());
        assertFalse(result.headers().stream().anyMatch(h -> h.getFileName().toString().equals("hello.bpf.c")),
                "the source itself is no header");
        assertTrue(result.warnings().isEmpty(), result.warnings().toString());
        assertEquals(List.of("-target", "bpf", "-O2", "-g"), result.command().subList(1, 5));
        assertTrue(result.command().contains("-I/usr/include/x86_64-linux-gnu"), result.command().toString());
    }

    @Test
    void dependencyScanFindsWhatTheCompileReads(@TempDir Path base) throws IOException {
        RenderedSource src = TestSources.source(TestSources.layout(base), 1);
        DependencyScan scan = compiler.scanDependencies(src);
        assertEquals(compiler.compile(src).headers(), scan.headers());
        assertTrue(scan.command().contains("-M"), scan.command().toString());
        assertFalse(scan.command().contains("-c"), "no code generation: " + scan.command());
    }

    /** A real LLVM backend crash (a variable-length array on the BPF stack): the error, not 40 lines of stack. */
    @Test
    void aBackendCrashShowsItsErrorWithoutTheStackDump(@TempDir Path base) throws IOException {
        TemplateDescriptor template = TestSources.layout(base);
        String text = """
                #include <linux/bpf.h>
                #include <bpf/bpf_helpers.h>
                SEC("tc")
                int hello(struct __sk_buff *skb)
                {
                    char buf[skb->len & 63];
                    buf[0] = 1;
                    return buf[skb->len & 7];
                }
                """;
        CompileException e = assertThrows(CompileException.class,
                () -> compiler.compile(TestSources.source(template, text)));
        String message = e.getMessage();
        org.junit.jupiter.api.Assumptions.assumeTrue(e.output().contains("Stack dump:"),
                "this clang reports the error without crashing: " + e.output());
        assertTrue(message.contains("error in backend"), message);
        assertFalse(message.contains(" 0x"), "no stack frames: " + message);
        assertTrue(message.contains("LLVM crash report omitted"), message);
        assertTrue(message.lines().count() < 12, message);
        assertTrue(message.contains("error in backend (LLVM crashed compiling hello): Unsupported dynamic stack"
                + " allocation"), message);
        assertTrue(message.contains("hint: BPF has no variable-length arrays"), message);
        assertEquals(1, e.diagnostics().size(), "one diagnostic, at the function: " + e.diagnostics());
    }

    @Test
    void errorNamesTheTemplateFileAndLine(@TempDir Path base) throws IOException {
        TemplateDescriptor template = TestSources.layout(base);
        String text = """
                #line 7 "hello.bpf.c.ftl"
                #include <linux/bpf.h>
                #include <bpf/bpf_helpers.h>
                SEC("tc")
                int hello(struct __sk_buff *skb)
                {
                    return not_declared;
                }
                """;
        CompileException e = assertThrows(CompileException.class,
                () -> compiler.compile(TestSources.source(template, text)));

        Path templateFile = base.resolve("templates").resolve(TestSources.TEMPLATE_FILE).toAbsolutePath().normalize();
        Diagnostic first = e.diagnostics().get(0);
        assertEquals(new Diagnostic(templateFile, 12, 12, Diagnostic.Severity.ERROR,
                "use of undeclared identifier 'not_declared'"), first);
        assertTrue(Files.exists(first.file()), "the diagnostic points at the real template file");
        assertEquals(1, e.exitCode());
        assertTrue(e.isUserError());
        String message = e.getMessage();
        assertTrue(message.startsWith("template hello (dropEnabled=true): clang failed (exit 1):\n  " + templateFile
                + ":12:12: error: use of undeclared identifier 'not_declared'\n"), message);
        assertTrue(message.contains("1 error generated."), "the output follows: " + message);
        assertTrue(message.contains("command (run in a temporary folder holding the rendered source): /usr/bin/clang"
                + " -target bpf"), message);
        assertTrue(e.output().contains("return not_declared;"), e.output());
        assertEquals(e.command().get(0), "/usr/bin/clang");
    }

    @Test
    void missingHeaderFailsTheScanToo(@TempDir Path base) throws IOException {
        TemplateDescriptor template = TestSources.layout(base);
        RenderedSource src = TestSources.source(template, "#line 3 \"hello.bpf.c.ftl\"\n#include \"nope.h\"\n");
        CompileException e = assertThrows(CompileException.class, () -> compiler.scanDependencies(src));
        assertEquals(Diagnostic.Severity.FATAL_ERROR, e.diagnostics().get(0).severity());
        assertEquals(3, e.diagnostics().get(0).line());
        assertTrue(e.getMessage().contains("hello.bpf.c.ftl:3:10: fatal error: 'nope.h' file not found"), e.getMessage());
    }

    @Test
    void warningsAreReportedWithTheirTemplateLine(@TempDir Path base) throws IOException {
        TemplateDescriptor template = TestSources.layout(base);
        String text = TestSources.program(1).replace("{\n    return pick", "{\n    int unused;\n    return pick");
        CompileResult result = compiler.compile(TestSources.source(template, text));
        Diagnostic warning = result.warnings().get(0);
        assertEquals(Diagnostic.Severity.WARNING, warning.severity());
        assertEquals(template.root().resolve(TestSources.TEMPLATE_FILE), warning.file());
        assertEquals(11, warning.line());
        assertTrue(warning.message().contains("unused variable 'unused'"), warning.message());
    }

    @Test
    void objectBytesDoNotDependOnTheCheckoutFolder(@TempDir Path one, @TempDir Path two) throws IOException {
        CompileResult a = compiler.compile(TestSources.source(TestSources.layout(one.resolve("checkout")), 3));
        CompileResult b = compiler.compile(TestSources.source(TestSources.layout(two.resolve("elsewhere/deeper")), 3));
        assertArrayEquals(a.object(), b.object());
        String text = new String(a.object(), StandardCharsets.ISO_8859_1);
        assertFalse(text.contains(one.toString()), "no checkout path in the object");
        assertFalse(text.contains("kiln-clang-"), "no work folder in the object");
        assertTrue(text.contains("hello.bpf.c.ftl"), "debug info names the template file");
    }

    @Test
    void keyFlagsNameIncludeFoldersByTheirLabel(@TempDir Path base) throws IOException {
        TemplateDescriptor template = TestSources.layout(base);
        Invocation invocation = compiler.invocation(TestSources.source(template, 1));
        assertTrue(invocation.keyFlags().containsAll(List.of("-I.", "-I../lib")), invocation.keyFlags().toString());
        assertFalse(invocation.keyFlags().toString().contains(base.toString()), invocation.keyFlags().toString());
        assertEquals("../lib/hello_lib.h",
                invocation.headerName(base.resolve("lib").resolve(TestSources.HEADER)));
        assertEquals("/usr/include/bpf/bpf_helpers.h", invocation.headerName(Path.of("/usr/include/bpf/bpf_helpers.h")));
    }

    @Test
    void timeoutStopsClangWithAClearError(@TempDir Path base) throws IOException {
        // A source clang needs seconds for, so the limit is hit however slow this machine is at
        // starting the process (a 1 ms limit on a tiny source raced a loaded machine).
        ClangCompiler impatient = new ClangCompiler(compiler.clang(), Duration.ofMillis(200));
        StringBuilder slow = new StringBuilder("volatile int sink;\nint f(void) {\n");
        for (int i = 0; i < 60_000; i++) {
            slow.append("  sink = sink * ").append(i).append(" + ").append(i % 7).append(";\n");
        }
        slow.append("  return sink;\n}\n");
        RenderedSource src = new RenderedSource(TestSources.layout(base),
                io.kiln.template.BuildParameters.of(java.util.Map.of("dropEnabled", true)), "hello.bpf.c",
                slow.toString());
        KilnException e = assertThrows(KilnException.class, () -> impatient.compile(src));
        assertTrue(e.getMessage().startsWith("template hello (dropEnabled=true): clang timed out after 200 ms and was"
                + " stopped"), e.getMessage());
        // A SIGKILLed process can stay listed for a moment while it is reaped: poll, bounded.
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (clangDescendants() > 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(0, clangDescendants(), "no clang left running");
    }

    private static long clangDescendants() {
        return ProcessHandle.current().descendants().filter(p -> p.isAlive()
                && p.info().command().orElse("").contains("clang")).count();
    }

    @Test
    void renderedFileNameMustBeAPlainName(@TempDir Path base) throws IOException {
        TemplateDescriptor template = TestSources.layout(base);
        RenderedSource src = new RenderedSource(template, io.kiln.template.BuildParameters.of(java.util.Map.of()),
                "../escape.c", "int x;");
        KilnException e = assertThrows(KilnException.class, () -> compiler.compile(src));
        assertTrue(e.getMessage().startsWith("template hello: rendered file name '../escape.c'"), e.getMessage());
    }

    @Test
    void absoluteIncludeAndIncbinAreRefusedAtTheTemplateLine(@TempDir Path base) throws IOException {
        TemplateDescriptor template = TestSources.layout(base);
        Path templateFile = base.resolve("templates").resolve(TestSources.TEMPLATE_FILE).toAbsolutePath().normalize();
        String[][] cases = {
            {"#line 5 \"hello.bpf.c.ftl\"\n#include <linux/bpf.h>\n#include \"/etc/hostname\"\n", ":6: #include of an absolute path"},
            {"#line 5 \"hello.bpf.c.ftl\"\n\nasm(\".inc\" \"bin \\\"/etc/hostname\\\"\");\n", ":6: 'incbin' is not allowed"},
            {"#line 2 \"hello.bpf.c.ftl\"\n  # include   </etc/hostname>\n", ":2: #include of an absolute path"},
        };
        for (String[] c : cases) {
            KilnException e = assertThrows(KilnException.class, () -> compiler.compile(TestSources.source(template, c[0])));
            assertTrue(e.getMessage().startsWith(templateFile + c[1]), e.getMessage());
            assertTrue(e.isUserError());
            e = assertThrows(KilnException.class, () -> compiler.scanDependencies(TestSources.source(template, c[0])));
            assertTrue(e.getMessage().startsWith(templateFile + c[1]), e.getMessage());
        }
    }

    @Test
    void aHeaderLinkedFromOutsideTheTemplatesFoldersIsRefused(@TempDir Path base) throws IOException {
        TemplateDescriptor template = TestSources.layout(base);
        Path secret = Files.createDirectories(base.resolve("secret")).resolve("evil.h");
        Files.writeString(secret, "#define EVIL 1\n");
        Files.createSymbolicLink(base.resolve("lib/evil.h"), secret);
        String text = TestSources.program(1).replace("#include \"hello_lib.h\"", "#include \"hello_lib.h\"\n#include \"evil.h\"");
        KilnException e = assertThrows(KilnException.class, () -> compiler.compile(TestSources.source(template, text)));
        assertTrue(e.getMessage().contains("the compile read [" + secret.toRealPath() + "]"), e.getMessage());
        assertTrue(e.isUserError());
        e = assertThrows(KilnException.class, () -> compiler.scanDependencies(TestSources.source(template, text)));
        assertTrue(e.getMessage().contains(secret.toRealPath().toString()), e.getMessage());
        // the real program with system, libbpf and own headers still compiles
        compiler.compile(TestSources.source(template, 1));
    }
}
