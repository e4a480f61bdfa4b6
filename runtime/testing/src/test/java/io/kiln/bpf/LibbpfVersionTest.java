package io.kiln.bpf;

import io.kiln.testing.KernelRequirements;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LibbpfVersionTest {

    @Test
    void systemLibbpfIsAtLeast11AndNamed() {
        if (!Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libbpf.so.1")) && !KernelRequirements.required()) {
            KernelRequirements.unmet("no libbpf.so.1 on this machine");
        }
        LibbpfVersion v = LibbpfVersion.current();
        System.out.println("bound to " + v);
        assertTrue(v.major() > 1 || (v.major() == 1 && v.minor() >= 1), v.toString());
        assertTrue(v.release().startsWith(v.major() + "." + v.minor()), v.toString());
        assertTrue(Files.exists(Path.of(v.library())), v.toString());
        assertTrue(v.toString().startsWith("libbpf " + v.release() + " (/"), v.toString());
        assertEquals(v, LibbpfVersion.current(), "checked once, same answer");
    }
}
