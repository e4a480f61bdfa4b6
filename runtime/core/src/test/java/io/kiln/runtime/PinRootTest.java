package io.kiln.runtime;

import io.kiln.bpf.BpfFs;
import io.kiln.testing.KernelRequirements;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A pin root outside /sys/fs/bpf is used only if a bpffs is already there; Kiln never mounts over a folder. */
class PinRootTest {
    @Test
    void aFolderOutsideSysFsBpfIsRefusedNotMountedOver(@TempDir Path dir) throws Exception {
        KernelRequirements.assumeKernel();
        Path keep = Files.writeString(dir.resolve("keep.txt"), "still here");
        try {
            EndpointException e = assertThrows(EndpointException.class,
                    () -> new Specializer(new PinLayout(dir)).ensureBpffs());
            assertEquals("pin root " + dir + " is not on a bpffs and not under /sys/fs/bpf: choose a root under "
                    + "/sys/fs/bpf, or mount one there first (mount -t bpf bpf " + dir + "); Kiln does not mount "
                    + "over other folders", e.getMessage());
            assertTrue(e.isUserError());
            assertFalse(BpfFs.isMounted(dir));
            assertTrue(Files.exists(keep), "the folder's files are not hidden by a mount");
        } finally {
            if (BpfFs.isMounted(dir)) { // the old behaviour: take our mount away again
                new ProcessBuilder("umount", dir.toString()).inheritIO().start().waitFor();
            }
        }
    }

    @Test
    void aRootUnderSysFsBpfIsFine() {
        KernelRequirements.assumeKernel();
        new Specializer(new PinLayout(Path.of("/sys/fs/bpf/kiln-pinroot-test"))).ensureBpffs();
        assertTrue(BpfFs.isOnBpffs(Path.of("/sys/fs/bpf/kiln-pinroot-test")));
    }
}
