package io.kiln.compile.internal;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FailureReportTest {
    @Test
    void longOutputKeepsHeadAndTail() {
        String output = IntStream.rangeClosed(1, 200).mapToObj(i -> "line " + i).collect(Collectors.joining("\n"));
        List<String> lines = FailureReport.trim(output).lines().toList();
        assertEquals(FailureReport.HEAD_LINES + 1 + FailureReport.TAIL_LINES, lines.size());
        assertEquals("line 1", lines.get(0));
        assertEquals("... 140 lines omitted ...", lines.get(FailureReport.HEAD_LINES));
        assertEquals("line 200", lines.get(lines.size() - 1));
    }

    @Test
    void shortOutputIsKeptWhole() {
        assertEquals("a\nb", FailureReport.trim("\na\nb\n\n"));
    }

    @Test
    void commandLineQuotesWhatAShellWouldSplit() {
        assertEquals("/usr/bin/clang '-I/my dir' -DX=1 'it'\\''s'",
                FailureReport.commandLine(List.of("/usr/bin/clang", "-I/my dir", "-DX=1", "it's")));
    }

    @Test
    void messageListsErrorsThenOutputThenCommand() {
        String message = FailureReport.message("template t", "clang failed (exit 1)", List.of(), "boom\n",
                List.of("clang", "-c"));
        assertEquals("template t: clang failed (exit 1):\nclang output:\n  boom\n"
                + "command (run in a temporary folder holding the rendered source): clang -c", message);
        assertTrue(message.lines().count() < 5);
    }

    /** What clang 14 prints for a BPF backend crash (a variable-length array), as captured from it. */
    @Test
    void anLlvmCrashKeepsTheDiagnosticAndDropsTheStackDump() {
        StringBuilder out = new StringBuilder("""
                fatal error: error in backend: Unsupported dynamic stack allocation
                PLEASE submit a bug report to https://github.com/llvm/llvm-project/issues/ and include the crash backtrace, preprocessed source, and associated run script.
                Stack dump:
                0.	Program arguments: clang -O2 -target bpf -c a.c -o a.o
                1.	<eof> parser at end of file
                2.	Code generation
                """);
        for (int i = 0; i < 39; i++) {
            out.append("#").append(i).append(" 0x00007fba2d245305 llvm::frame").append(i).append(" (/usr/lib/llvm-14/lib/libLLVM-14.so.1+0x").append(i).append(")\n");
        }
        out.append("""
                clang: error: clang frontend command failed with exit code 70 (use -v to see invocation)
                Debian clang version 14.0.6
                Target: bpf
                clang: note: diagnostic msg: /tmp/a-04fd5a.c
                """);
        List<String> lines = FailureReport.trim(out.toString()).lines().toList();
        assertEquals(List.of("fatal error: error in backend: Unsupported dynamic stack allocation",
                "... LLVM crash report omitted (44 lines) ...",
                "clang: error: clang frontend command failed with exit code 70 (use -v to see invocation)",
                "... LLVM crash report omitted (3 lines) ..."), lines);
    }

    @Test
    void outputPastTheBoundIsDroppedAndCounted() throws Exception {
        ToolProcess.BoundedOutput o = new ToolProcess.BoundedOutput(10);
        o.write("0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        o.write('x');
        assertEquals("0123456789\n... 7 more bytes of output dropped ...\n", o.text());
    }
}
