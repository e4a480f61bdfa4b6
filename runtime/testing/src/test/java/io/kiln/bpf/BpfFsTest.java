package io.kiln.bpf;

import io.kiln.bpf.internal.LibC;
import io.kiln.testing.KernelRequirements;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BpfFsTest {

    @Test
    void mountsBpffsWhereThereIsNone() throws Exception {
        KernelRequirements.assumeKernel();
        assertFalse(BpfFs.ensureMounted(BpfFs.DEFAULT), "/sys/fs/bpf is mounted already");
        Path dir = Files.createTempDirectory("kiln-bpffs-");
        try {
            assertFalse(BpfFs.isMounted(dir));
            assertTrue(BpfFs.ensureMounted(dir));
            assertTrue(BpfFs.isMounted(dir));
            assertFalse(BpfFs.ensureMounted(dir), "second call finds it");
        } finally {
            if (BpfFs.isMounted(dir)) {
                assertEquals(0, LibC.umount2(dir.toString(), 0));
            }
            Files.delete(dir);
        }
        assertFalse(BpfFs.isMounted(dir));
    }
}
