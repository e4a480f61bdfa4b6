package io.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kiln.lab.Command;
import io.kiln.testing.KernelRequirements;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** kiln bench regen end to end at a small N: every field there and consistent, nothing left (figures are not checked). */
class BenchRegenCommandTest {

    @Test
    void eightEndpointsOverFourVariants() throws Exception {
        KernelRequirements.assumeKernel();
        KernelRequirements.assumeTools("ip", "clang", "bpftool");
        CliTest.Run run = CliTest.kiln("bench", "regen", "--endpoints", "8", "--json");
        assertEquals(0, run.exit(), run.err() + run.out());
        JsonNode j = new ObjectMapper().readTree(run.lastLine());
        assertEquals(8, j.get("endpoints").asInt());
        assertEquals(4, j.get("variants").asInt());
        assertEquals(4, j.get("clangRuns").asInt(), "one clang run per variant");
        double kiln = j.get("kilnSeconds").asDouble();
        double floor = j.get("floorSeconds").asDouble();
        assertTrue(kiln > 0 && floor > 0, run.lastLine());
        assertEquals(kiln / floor, j.get("overFloor").asDouble(), 0.01);
        assertEquals(8, j.get("compilePerEndpointSample").asInt());
        double perEndpoint = j.get("compilePerEndpointSeconds").asDouble();
        assertEquals(perEndpoint / kiln, j.get("speedup").asDouble(), 0.01);
        assertTrue(j.get("clangSecondsPerVariant").asDouble() > 0 && j.get("loadSecondsPerEndpoint").asDouble() > 0);
        assertTrue(j.get("policyUpdateMillisP50").asDouble() > 0, run.lastLine());
        assertTrue(j.get("policyUpdateDirectoryMillisP50").asDouble() > 0, run.lastLine());
        double inPlace = j.get("policyUpdateInPlaceMillisP50").asDouble();
        assertTrue(inPlace > 0 && inPlace <= j.get("policyUpdateInPlaceMillisP99").asDouble(), run.lastLine());
        assertFalse(j.get("policyUpdatesReloaded").asBoolean(), "rule changes are map writes");
        assertTrue(j.get("rssMiB").asDouble() > 10, run.lastLine());
        assertTrue(j.get("attachMode").asText().matches("tcx|tc"));

        assertFalse(Command.run(List.of("ip", "netns", "list")).orThrow().stdout().contains("kiln-bench-regen"),
                "namespace left");
        for (Path dir : List.of(Path.of("/sys/fs/bpf"), Path.of("/run"))) {
            try (Stream<Path> s = Files.list(dir)) {
                assertEquals(List.of(), s.map(p -> p.getFileName().toString())
                        .filter(n -> n.startsWith("kiln-bench-regen")).toList(), "left in " + dir);
            }
        }
    }

    @Test
    void sampledCompileFiguresSayTheyAreEstimates() throws Exception {
        KernelRequirements.assumeKernel();
        KernelRequirements.assumeTools("ip", "clang", "bpftool");
        CliTest.Run run = CliTest.kiln("bench", "regen", "--endpoints", "6", "--compile-sample", "2", "--mode", "tc",
                "--json");
        assertEquals(0, run.exit(), run.err() + run.out());
        JsonNode j = new ObjectMapper().readTree(run.lastLine());
        assertEquals(2, j.get("compilePerEndpointSample").asInt());
        assertTrue(j.has("compilePerEndpointSecondsEstimated") && !j.has("compilePerEndpointSeconds"), run.lastLine());
        assertTrue(j.has("speedupEstimated") && !j.has("speedup"), run.lastLine());
        assertEquals("tc", j.get("attachMode").asText());
    }
}
