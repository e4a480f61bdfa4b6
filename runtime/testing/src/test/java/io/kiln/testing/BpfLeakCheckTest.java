package io.kiln.testing;

import io.kiln.lab.Command;

import io.kiln.bpf.BpfObject;
import io.kiln.bpf.BpfProgram;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The leak check sees what bpftool sees: a pinned program is a leak until its pin goes. */
class BpfLeakCheckTest {

    @Test
    void pinnedProgramIsALeakUntilUnpinned() throws Exception {
        KernelRequirements.assumeKernel();
        KernelRequirements.assumeTools("bpftool", "clang");
        Path source = Path.of(getClass().getResource("/bpf/kt_attach.c").toURI());
        Path object = source.resolveSibling("kt_leak.o");
        Command.run(List.of("clang", "-target", "bpf", "-O2", "-g", "-I/usr/include/x86_64-linux-gnu", "-c",
                source.toString(), "-o", object.toString())).orThrow();
        Path pin = Path.of("/sys/fs/bpf", "kiln-test-leak-" + UUID.randomUUID().toString().substring(0, 8));

        BpfLeakCheck check = BpfLeakCheck.begin("kt_");
        try {
            try (BpfObject o = BpfObject.open(object, "kt_leak")) {
                o.load();
                BpfProgram p = o.program("kt_pass_a");
                p.pin(pin);
                assertTrue(BpfLeakCheck.snapshot("kt_").programs().contains(p.id()));
            }
            AssertionError e = assertThrows(AssertionError.class, () -> check.assertNoLeaks(Duration.ofMillis(300)));
            assertTrue(e.getMessage().startsWith("BPF objects left behind (bpftool ids): program "), e.getMessage());
        } finally {
            Files.deleteIfExists(pin);
        }
        check.assertNoLeaks();
    }
}
