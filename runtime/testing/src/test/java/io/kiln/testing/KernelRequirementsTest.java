package io.kiln.testing;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KernelRequirementsTest {

    @Test
    void unmetSkipsOrFailsAsTheEnvironmentSays() {
        Throwable t = assertThrows(Throwable.class, () -> KernelRequirements.unmet("no BPF here"));
        if (KernelRequirements.required()) {
            assertEquals(AssertionFailedError.class, t.getClass());
            assertEquals("no BPF here (KILN_REQUIRE_KERNEL=1, so this fails instead of skipping)", t.getMessage());
        } else {
            assertEquals(TestAbortedException.class, t.getClass());
            assertTrue(t.getMessage().endsWith("no BPF here"), t.getMessage());
        }
    }

    @Test
    void missingToolIsUnmet() {
        Throwable t = assertThrows(Throwable.class, () -> KernelRequirements.assumeTools("kiln-no-such-tool"));
        assertEquals(KernelRequirements.required() ? AssertionFailedError.class : TestAbortedException.class,
                t.getClass());
    }
}
