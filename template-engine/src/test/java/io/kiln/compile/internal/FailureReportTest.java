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
}
