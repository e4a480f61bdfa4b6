package io.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kiln.testing.BpfLeakCheck;
import io.kiln.testing.KernelRequirements;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kiln bench load and kiln bench swap, end to end on the real kernel, with few runs (figures are not checked). */
class BenchRuntimeCommandsTest {
    private static final Path HELLO = Path.of(System.getProperty("kiln.home", "..")).resolve("examples/templates/hello")
            .toAbsolutePath().normalize();

    @Test
    void benchLoadComparesKilnWithBpftool(@TempDir Path cache) throws Exception {
        KernelRequirements.assumeKernel();
        KernelRequirements.assumeTools("bpftool", "ip", "clang");
        BpfLeakCheck leaks = BpfLeakCheck.begin("hello_");
        CliTest.Run run = CliTest.kiln("bench", "load", "--template", HELLO.toString(), "--runs", "1", "--warmup", "0",
                "--cache-dir", cache.toString(), "--mode", "tc", "--json");
        assertEquals(0, run.exit(), run.err());
        JsonNode j = new ObjectMapper().readTree(run.lastLine());
        assertEquals("hello", j.get("template").asText());
        assertEquals("tc", j.get("mode").asText());
        double kiln = j.get("kilnMillis").asDouble();
        double bpftool = j.get("bpftoolMillis").asDouble();
        assertTrue(kiln > 0 && bpftool > 0, run.lastLine());
        assertEquals(kiln / bpftool, j.get("ratio").asDouble(), 0.01);
        assertTrue(j.get("kilnSpecializeMillis").asDouble() > 0);
        assertTrue(j.get("machine").get("cores").asInt() > 0);
        leaks.assertNoLeaks();
    }

    @Test
    void benchSwapCountsLossesAndTimesSwaps(@TempDir Path cache) throws Exception {
        KernelRequirements.assumeKernel();
        KernelRequirements.assumeTools("ip", "clang", "bpftool");
        BpfLeakCheck leaks = BpfLeakCheck.begin("hello_");
        CliTest.Run run = CliTest.kiln("bench", "swap", "--template", HELLO.toString(), "--swaps", "20", "--rate", "20000",
                "--cache-dir", cache.toString(), "--json");
        assertEquals(0, run.exit(), run.err());
        JsonNode j = new ObjectMapper().readTree(run.lastLine());
        assertEquals(20, j.get("swaps").asInt());
        assertTrue(j.get("packetsSent").asLong() > 0, run.lastLine());
        assertEquals(0, j.get("packetsLost").asLong(), run.lastLine());
        assertEquals("ENDPOINT_ID", j.get("swapConstant").asText());
        assertTrue(j.get("swapMillisP50").asDouble() > 0 && j.get("swapMillisP99").asDouble() >= j.get("swapMillisP50").asDouble());
        leaks.assertNoLeaks();
    }

    @Test
    void unknownModeIsBadInput(@TempDir Path cache) {
        KernelRequirements.assumeKernel();
        CliTest.Run run = CliTest.kiln("bench", "load", "--template", HELLO.toString(), "--mode", "sideways",
                "--cache-dir", cache.toString());
        assertEquals(2, run.exit(), run.err());
        assertEquals("kiln: --mode sideways: use auto, tcx or tc", run.err().strip());
    }
}
