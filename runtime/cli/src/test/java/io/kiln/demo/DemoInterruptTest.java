package io.kiln.demo;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.lab.Command;
import io.kiln.testing.KernelRequirements;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Ctrl-C in the middle of {@code kiln demo} (SIGINT to a child JVM running it, once its endpoints
 * carry traffic): the shutdown hook removes the programs, pins, state and namespaces.
 */
class DemoInterruptTest {
    private static final Pattern NAMESPACE = Pattern.compile("(kiln-demo-[a-z]+-[0-9a-f]{6})");
    private static final Pattern PINS = Pattern.compile("^ +pins +(\\S+)$");
    private static final Pattern STATE = Pattern.compile("^ +state +(\\S+)$");
    private static final Pattern PROGRAMS = Pattern.compile("programs (\\d+)/(\\d+)");

    @Test
    void ctrlCCleansUp() throws Exception {
        KernelRequirements.assumeKernel();
        KernelRequirements.assumeTools("ip", "clang", "bpftool", "kill");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process child = new ProcessBuilder(java, "-Dkiln.home=" + LiveDemoTest.HOME, "-cp",
                System.getProperty("java.class.path"), "io.kiln.cli.Main", "demo").redirectErrorStream(true).start();
        child.getOutputStream().close();
        Set<String> namespaces = new TreeSet<>();
        Set<Integer> programs = new TreeSet<>();
        Path pins = null;
        Path state = null;
        List<String> seen = new ArrayList<>();
        boolean interrupted = false;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                seen.add(line);
                Matcher n = NAMESPACE.matcher(line);
                while (n.find()) {
                    namespaces.add(n.group(1));
                }
                Matcher p = PINS.matcher(line);
                if (p.matches()) {
                    pins = Path.of(p.group(1));
                }
                Matcher s = STATE.matcher(line);
                if (s.matches()) {
                    state = Path.of(s.group(1));
                }
                Matcher ids = PROGRAMS.matcher(line);
                if (ids.find()) {
                    programs.add(Integer.parseInt(ids.group(1)));
                    programs.add(Integer.parseInt(ids.group(2)));
                }
                if (!interrupted && line.startsWith("4. Traffic")) {
                    Command.run(List.of("kill", "-INT", Long.toString(child.pid()))).orThrow();
                    interrupted = true;
                }
            }
        } finally {
            if (!child.waitFor(90, TimeUnit.SECONDS)) {
                child.destroyForcibly();
            }
        }
        String output = String.join("\n", seen);
        assertTrue(interrupted, "the demo never reached its traffic step:\n" + output);
        assertFalse(child.isAlive());
        assertTrue(output.contains("interrupted; cleaning up"), output);
        assertTrue(namespaces.size() == 4 && pins != null && state != null && programs.size() == 6,
                "what the demo made, from its output: " + namespaces + " " + pins + " " + state + " " + programs
                        + "\n" + output);
        LiveDemoTest.assertNothingLeft(List.copyOf(namespaces), pins, state, programs);
    }
}
