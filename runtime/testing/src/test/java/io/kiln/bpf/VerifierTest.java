package io.kiln.bpf;

import io.kiln.bpf.internal.VerifierLogs;
import io.kiln.testing.BpfLeakCheck;
import io.kiln.testing.KernelRequirements;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A verifier rejection is a VerifierException with the whole log and a short message. */
class VerifierTest {

    @Test
    void rejectionCarriesLogAndShortMessage() {
        KernelRequirements.assumeKernel();
        KernelRequirements.assumeTools("bpftool");
        BpfLeakCheck leaks = BpfLeakCheck.begin("kt_");
        try (BpfObject object = BpfObject.open(TestObjects.bytes("kt_bad"), "kt_bad")) {
            VerifierException e = assertThrows(VerifierException.class, object::load);
            System.out.println(e.getMessage());
            assertEquals("kt_bad_read", e.program());
            assertEquals("R1 offset is outside of the packet", e.reason());
            assertTrue(e.log().stream().anyMatch(l -> l.startsWith("invalid access to packet")), e.log().toString());
            assertTrue(e.log().size() > VerifierLogs.TAIL_LINES, "kt_bad_read is long enough to need omission");

            String[] lines = e.getMessage().split("\n");
            assertEquals("object kt_bad: program kt_bad_read: rejected by the verifier: R1 offset is outside of the packet",
                    lines[0]);
            int omitted = e.log().size() - VerifierLogs.TAIL_LINES;
            assertEquals("  (" + omitted + " lines omitted)", lines[1]);
            assertEquals(2 + VerifierLogs.TAIL_LINES, lines.length);
            assertEquals("  " + e.log().get(e.log().size() - 1), lines[lines.length - 1]);
            assertEquals(13, e.errno(), "EACCES");
            assertFalse(e.isUserError());
        }
        leaks.assertNoLeaks();
    }

    @Test
    void shortLogIsShownWhole() {
        List<String> log = List.of("0: R1=ctx() R10=fp0", "0: (b7) r0 = 0", "1: (95) exit",
                "At program exit the register R0 has unknown scalar value should have been in [0, 1]",
                "processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0");
        VerifierException e = VerifierLogs.exception("object x", "p", String.join("\n", log) + "\n", 13);
        assertEquals("At program exit the register R0 has unknown scalar value should have been in [0, 1]", e.reason());
        List<String> expected = new ArrayList<>();
        expected.add("object x: program p: rejected by the verifier: " + e.reason());
        log.forEach(l -> expected.add("  " + l));
        assertEquals(String.join("\n", expected), e.getMessage());
        assertEquals(log, e.log());
    }

    @Test
    void truncatedLogIsNamed() {
        VerifierException e = VerifierLogs.exception("object x", "p", "R2 !read_ok\n", 28);
        assertEquals("object x: program p: rejected by the verifier: R2 !read_ok\n"
                + "  (the log filled its buffer; the kernel kept its end)\n  R2 !read_ok", e.getMessage());
    }
}
