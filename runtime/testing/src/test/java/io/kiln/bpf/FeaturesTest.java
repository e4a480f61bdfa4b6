package io.kiln.bpf;

import io.kiln.testing.KernelRequirements;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FeaturesTest {

    @Test
    void probesMatchTheKernelVersion() {
        KernelRequirements.assumeKernel();
        assertEquals(Features.kernelAtLeast(6, 6), Features.tcxLinks(), "tcx came in 6.6");
        assertEquals(Features.kernelAtLeast(5, 9), Features.xdpLinks(), "XDP links came in 5.9");
        assertTrue(Features.testRunSchedCls());
        if (Features.tcxLinks()) {
            Features.requireTcxLinks();
        } else {
            MissingFeatureException e = org.junit.jupiter.api.Assertions.assertThrows(MissingFeatureException.class,
                    Features::requireTcxLinks);
            assertEquals("6.6", e.minimumKernel());
        }
    }

    @Test
    void missingFeatureNamesFeatureAndKernel() {
        MissingFeatureException e = new MissingFeatureException("tcx links", "6.6", "use legacy tc (TcFilter) instead");
        assertEquals("tcx links not supported by this kernel (" + System.getProperty("os.version")
                + "); needs Linux 6.6 or later: use legacy tc (TcFilter) instead", e.getMessage());
    }

    @Test
    void kernelVersionComparison() {
        String running = System.getProperty("os.version");
        int major = Integer.parseInt(running.split("\\.")[0]);
        assertTrue(Features.kernelAtLeast(major, 0));
        org.junit.jupiter.api.Assertions.assertFalse(Features.kernelAtLeast(major + 1, 0));
    }
}
