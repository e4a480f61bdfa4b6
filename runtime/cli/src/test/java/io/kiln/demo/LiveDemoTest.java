package io.kiln.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.agent.spec.TemplateCatalog;
import io.kiln.lab.Command;
import io.kiln.testing.KernelRequirements;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The live demo end to end on the real kernel: every step as expected, and nothing of it left afterwards. */
class LiveDemoTest {
    static final Path HOME = Path.of(System.getProperty("kiln.home", "..")).toAbsolutePath().normalize();

    static TemplateCatalog catalog() {
        return TemplateCatalog.scan(List.of(HOME.resolve("bpf-templates/src/main/bpf")));
    }

    @Test
    void showsEveryStepAsExpectedAndLeavesNothingBehind() {
        KernelRequirements.assumeKernel();
        KernelRequirements.assumeTools("ip", "clang", "bpftool");
        StringWriter text = new StringWriter();
        LiveDemo.Report report = LiveDemo.run(new PrintWriter(text, true), catalog());
        String out = text.toString();

        assertEquals(List.of(), report.surprises(), out);
        assertEquals(List.of(), report.cleanupFailures(), out);
        for (String step : List.of("1. A node", "2. The agent", "3. Specs", "4. Traffic", "5. Counters",
                "6. Policy change", "7. Constant change", "8. Policy chain", "9. Build parameter change",
                "10. Cache and regeneration", "11. Clean up")) {
            assertTrue(out.contains("\n" + step), "step '" + step + "' in:\n" + out);
        }
        assertTrue(out.contains("client -> db   TCP 5432   denied"), out);
        assertTrue(out.contains("answer \"web hello\" (the service's backend)"), out);
        assertTrue(out.contains("unchanged"), out);
        assertTrue(out.contains(" 0 lost, 0 duplicated"), out);
        assertTrue(out.contains("GATEWAY_IPV4 = 198.18.0.254"), out);
        assertEquals(0, report.flow().missing());
        assertTrue(report.flow().sent() > 100, out);
        assertTrue(out.contains("the guard passed on 20 SYNs and dropped 180 (SYN_OVER_BUDGET)"), out);
        assertEquals(3, report.clangRuns(), "one clang run per variant (endpoint twice, syn_guard once)");

        assertNothingLeft(report.namespaces(), report.pinRoot(), report.stateBase(), report.programIds());
    }

    static void assertNothingLeft(List<String> namespaces, Path pinRoot, Path stateBase,
                                  java.util.Collection<Integer> programIds) {
        String netns = Command.run(List.of("ip", "netns", "list")).orThrow().stdout();
        for (String ns : namespaces) {
            assertFalse(netns.contains(ns), "namespace " + ns + " left:\n" + netns);
        }
        assertFalse(Files.exists(pinRoot), "pins left under " + pinRoot);
        assertFalse(Files.exists(stateBase), "state left under " + stateBase);
        // the kernel frees programs once their last link and pin are gone, asynchronously
        long deadline = System.nanoTime() + 10_000_000_000L;
        for (int id : programIds) {
            while (Command.run(List.of("bpftool", "prog", "show", "id", Integer.toString(id))).exitCode() == 0) {
                assertTrue(System.nanoTime() < deadline, "program " + id + " is still loaded");
                sleep(50);
            }
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
