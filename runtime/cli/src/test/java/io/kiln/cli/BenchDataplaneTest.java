package io.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kiln.testing.KernelRequirements;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dataplane benchmarks run end to end with tiny settings and print the documented JSON keys (figures are not judged). */
class BenchDataplaneTest {
    @TempDir
    Path cacheDir;

    private JsonNode run(String... args) throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        assertEquals(0, code, err.toString());
        String[] lines = out.toString().strip().split("\n");
        return new ObjectMapper().readTree(lines[lines.length - 1]);
    }

    @Test
    void datapathPrintsBothComparisons() throws Exception {
        KernelRequirements.assumeKernel();
        KernelRequirements.assumeTools("clang");
        JsonNode j = run("bench", "datapath", "--json", "--repeat", "1000", "--rounds", "1",
                "--cache-dir", cacheDir.toString());
        for (String key : new String[] {"tier0Ns", "tier1Ns", "specializedOverGeneric", "tier0VerifiedInsns",
                "tier1VerifiedInsns", "tier0XlatedInsns", "tier1XlatedInsns", "tier0NewConnectionNs",
                "tier1NewConnectionNs", "specializedOverGenericNewConnection", "tier0NewConnectionVerifiedInsns",
                "tier1NewConnectionVerifiedInsns", "policy10Ns", "policy10kNs", "policy10kOverPolicy10"}) {
            assertTrue(j.has(key), key + " in " + j);
        }
        assertTrue(j.get("tier1VerifiedInsns").asInt() > 0);
        // the two tiers are different programs: tier 0 reads its values and maps at run time
        assertTrue(j.get("tier0XlatedInsns").asInt() != j.get("tier1XlatedInsns").asInt(), j.toString());
    }

    @Test
    void iptablesComparesKilnIptablesAndBaseline() throws Exception {
        KernelRequirements.assumeKernel();
        KernelRequirements.assumeTools("clang", "ip", "iptables", "iptables-restore");
        JsonNode j = run("bench", "iptables", "--json", "--rules", "100", "--seconds", "0.3", "--rounds", "1",
                "--cache-dir", cacheDir.toString());
        for (String key : new String[] {"kilnPps", "iptablesPps", "ratio", "baselinePps"}) {
            assertTrue(j.get(key).asDouble() > 0, key + " in " + j);
        }
    }

    @Test
    void flowsComparesOnAndOffAndFindsTheReadersLosslessRate() throws Exception {
        KernelRequirements.assumeKernel();
        KernelRequirements.assumeTools("clang", "ip");
        JsonNode j = run("bench", "flows", "--json", "--seconds", "0.3", "--rounds", "1", "--event-seconds", "0.3",
                "--start-rate", "2000", "--cache-dir", cacheDir.toString());
        for (String key : new String[] {"flowsOnPps", "flowsOffPps", "flowsOnOverOff"}) {
            assertTrue(j.get(key).asDouble() > 0, key + " in " + j);
        }
        assertTrue(j.get("eventSteps").size() >= 1, j.toString());
        JsonNode first = j.get("eventSteps").get(0);
        assertTrue(first.get("read").asLong() > 0, "the pipeline read start events: " + j);
        if (j.has("sustainedEventsPerSecond")) {
            assertTrue(j.get("sustainedEventsPerSecond").asLong() > 0, j.toString());
            assertTrue(j.has("twiceRateLost"), j.toString());
        }
    }
}
