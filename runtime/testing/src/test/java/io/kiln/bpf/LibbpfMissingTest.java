package io.kiln.bpf;

import io.kiln.lab.Command;
import io.kiln.testing.KernelRequirements;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The version check against stand-in libraries: a child JVM finds a fake {@code libbpf.so.1}
 * first on LD_LIBRARY_PATH and must explain what is wrong with it, once, the same way every time.
 */
class LibbpfMissingTest {

    @Test
    void tooOldLibbpfIsNamedWithItsVersion(@TempDir Path dir) throws Exception {
        String out = runWithFake("old", dir);
        assertEquals("ERROR libbpf: found version 0.8 (" + dir.resolve("libbpf.so.1") + "), Kiln needs >= 1.1; "
                + "install it with: apt-get install libbpf1\nAGAIN same", out);
    }

    @Test
    void libbpfBeforeVersionFunctionsIsNamed(@TempDir Path dir) throws Exception {
        String out = runWithFake("ancient", dir);
        assertEquals("ERROR libbpf: libbpf.so.1 has no libbpf_major_version(), so it is older than 0.6; Kiln needs "
                + ">= 1.1; install it with: apt-get install libbpf1\nAGAIN same", out);
    }

    @Test
    void missingFunctionIsNamed(@TempDir Path dir) throws Exception {
        String out = runWithFake("partial", dir);
        assertTrue(out.startsWith("ERROR libbpf: 1.1 (" + dir.resolve("libbpf.so.1") + ") lacks a function Kiln binds: "),
                out);
        assertTrue(out.contains("; install it with: apt-get install libbpf1"), out);
    }

    @Test
    void systemLibbpfIsFound(@TempDir Path dir) throws Exception {
        KernelRequirements.assumeTools("clang");
        String out = run(dir.resolve("empty"));
        assertTrue(out.startsWith("OK libbpf 1."), out);
    }

    private String runWithFake(String name, Path dir) throws Exception {
        KernelRequirements.assumeTools("clang");
        Path source = Path.of(getClass().getResource("/fakelib/" + name + ".c").toURI());
        Command.run(List.of("clang", "-shared", "-fPIC", "-Wl,-soname,libbpf.so.1", "-o",
                dir.resolve("libbpf.so.1").toString(), source.toString())).orThrow();
        return run(dir);
    }

    private static String run(Path libraryDir) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = List.of("env", "LD_LIBRARY_PATH=" + libraryDir, java, "-cp",
                System.getProperty("java.class.path"), PrintLibbpfVersion.class.getName());
        return Command.run(cmd).orThrow().stdout().strip();
    }
}
