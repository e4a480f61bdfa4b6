package io.kiln.compile.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.compile.Diagnostic;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Backend errors, as clang 14 prints them, placed at template lines. */
class BackendCrashTest {
    private static final Path ROOT = Path.of("/t/guard");
    private static final String RENDERED = """
            #line 1 "guard.bpf.c.ftl"
            #include "lib.h"
            SEC("tc")
            int guard_in(struct __sk_buff *skb)
            {
                return bump(skb);
            }
            #line 40 "parts/extra.ftl"
            static int other(void) { return 0; }
            """;

    private static String crash(String line) {
        return "fatal error: error in backend: " + line + "\nPLEASE submit a bug report to https://github.com/llvm/"
                + "llvm-project/issues/ and include the crash backtrace\nStack dump:\n0.\tProgram arguments: clang\n"
                + "4.\tRunning pass 'BPF PreEmit Checking' on function '@guard_in'\n #0 0x00007f4b5b0a5291 llvm::sys\n";
    }

    @Test
    void aLineOfTheFunctionsFileIsTheTemplateLine() {
        BackendCrash.Report r = BackendCrash.read(ROOT, "guard.bpf.c", RENDERED,
                crash("line 5: Invalid usage of the XADD return value")).orElseThrow();
        assertEquals(new Diagnostic(ROOT.resolve("guard.bpf.c.ftl"), 5, 1, Diagnostic.Severity.FATAL_ERROR,
                "error in backend (LLVM crashed compiling guard_in): Invalid usage of the XADD return value"),
                r.diagnostic());
        assertEquals("return bump(skb);", r.sourceLine());
        assertTrue(r.hint().orElseThrow().contains("compile: { cpu: v3 }"), r.hint().toString());
    }

    @Test
    void aLineNoTemplateFileHasIsInAHeaderAndTheFunctionIsNamed() {
        BackendCrash.Report r = BackendCrash.read(ROOT, "guard.bpf.c", RENDERED,
                crash("line 90: Invalid usage of the XADD return value")).orElseThrow();
        assertEquals(ROOT.resolve("guard.bpf.c.ftl"), r.diagnostic().file());
        assertEquals(3, r.diagnostic().line(), "the function's definition");
        assertTrue(r.diagnostic().message().endsWith("(at line 90 of a header the template includes)"),
                r.diagnostic().message());
    }

    @Test
    void aLineOnlyAnotherTemplateFileHasIsThatFile() {
        BackendCrash.Report r = BackendCrash.read(ROOT, "guard.bpf.c", RENDERED,
                crash("line 40: Looks like the BPF stack limit of 512 bytes is exceeded")).orElseThrow();
        assertEquals(ROOT.resolve("parts/extra.ftl"), r.diagnostic().file());
        assertEquals(40, r.diagnostic().line());
        assertTrue(r.hint().orElseThrow().contains("512 bytes"));
    }

    @Test
    void noBackendErrorIsNoReport() {
        assertEquals(Optional.empty(), BackendCrash.read(ROOT, "guard.bpf.c", RENDERED,
                "guard.bpf.c.ftl:3:1: error: use of undeclared identifier 'x'\n"));
    }
}
