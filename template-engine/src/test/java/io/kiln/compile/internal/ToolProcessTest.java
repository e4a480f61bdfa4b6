package io.kiln.compile.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ToolProcessTest {
    @Test
    void childSeesOnlyTheCleanEnvironment(@TempDir Path dir) throws Exception {
        assertFalse(System.getenv().isEmpty(), "the test JVM has an environment to leak");
        ToolProcess.Outcome outcome = ToolProcess.run(List.of("/usr/bin/env"), dir, Duration.ofSeconds(10));
        assertEquals(0, outcome.exitCode());
        Set<String> names = outcome.output().lines().map(l -> l.substring(0, l.indexOf('='))).collect(Collectors.toSet());
        assertEquals(Set.of("PATH", "LC_ALL", "TMPDIR"), names, outcome.output());
        assertTrue(outcome.output().contains("PATH=/usr/bin:/bin\n"), outcome.output());
        assertTrue(outcome.output().contains("TMPDIR=" + dir), outcome.output());
    }

    @Test
    void argumentsReachTheProgramUnsplitAndUninterpreted(@TempDir Path dir) throws Exception {
        ToolProcess.Outcome outcome = ToolProcess.run(List.of("/usr/bin/printf", "[%s]", "a b", "$HOME;`id`"), dir,
                Duration.ofSeconds(10));
        assertEquals("[a b][$HOME;`id`]", outcome.output());
    }

    @Test
    void timeoutKillsTheProcessAndItsChildren(@TempDir Path dir) {
        long start = System.nanoTime();
        assertThrows(ToolProcess.TimedOut.class, () -> ToolProcess.run(
                List.of("/bin/sh", "-c", "sleep 30 & sleep 30; wait"), dir, Duration.ofMillis(300)));
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(20).toNanos(), "did not wait for sleep");
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (ProcessHandle.current().descendants().anyMatch(p -> p.isAlive()
                && p.info().command().orElse("").endsWith("sleep")) && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertFalse(ProcessHandle.current().descendants().anyMatch(p -> p.isAlive()
                && p.info().command().orElse("").endsWith("sleep")), "no sleep left behind");
    }

    @Test
    void exitCodeAndOutputAreKept(@TempDir Path dir) throws Exception {
        ToolProcess.Outcome outcome = ToolProcess.run(List.of("/bin/sh", "-c", "echo out; echo err >&2; exit 3"), dir,
                Duration.ofSeconds(10));
        assertEquals(3, outcome.exitCode());
        assertTrue(outcome.output().contains("out") && outcome.output().contains("err"), outcome.output());
    }
}
