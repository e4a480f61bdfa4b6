package io.kiln.bpf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.testing.BpfLeakCheck;
import io.kiln.testing.KernelRequirements;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Statistics-only verifier logs: figures for programs that pass, and still the reason for one that does not. */
class VerifierStatisticsTest {
    private static final Pattern PROCESSED = Pattern.compile("(?m)^processed (\\d+) insns");
    private static final Pattern TIME = Pattern.compile("(?m)^verification time (\\d+) usec");

    @Test
    void passingProgramsReportProcessedInstructionsAndTime() {
        KernelRequirements.assumeKernel();
        BpfLeakCheck leaks = BpfLeakCheck.begin("kt_");
        try (BpfObject object = BpfObject.open(TestObjects.bytes("kt_gate"), "kt_gate")) {
            object.setVerifierStatistics(true);
            object.load();
            for (BpfProgram p : object.programs()) {
                String log = object.verifierLog(p.name());
                assertTrue(PROCESSED.matcher(log).find(), log);
                assertTrue(TIME.matcher(log).find(), log);
                assertTrue(log.lines().count() < 10, "statistics only, no instruction trace: " + log);
            }
        }
        leaks.assertNoLeaks();
    }

    @Test
    void withoutStatisticsAPassingProgramHasNoLog() {
        KernelRequirements.assumeKernel();
        try (BpfObject object = BpfObject.open(TestObjects.bytes("kt_gate"), "kt_gate")) {
            object.load();
            assertEquals("", object.verifierLog(object.programs().get(0).name()));
        }
    }

    @Test
    void aRejectionStillNamesTheVerifiersReason() {
        KernelRequirements.assumeKernel();
        try (BpfObject object = BpfObject.open(TestObjects.bytes("kt_bad"), "kt_bad")) {
            object.setVerifierStatistics(true);
            VerifierException e = assertThrows(VerifierException.class, object::load);
            assertEquals("kt_bad_read", e.program());
            assertEquals("R1 offset is outside of the packet", e.reason());
        }
    }
}
