package io.kiln.object;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Runs the real tools the tests use as compiler and oracle: clang, bpftool, llvm-readelf, llvm-objdump. */
final class Tools {
    private static final long TIME_LIMIT_SECONDS = 120;

    private Tools() {
    }

    /** Skips the test when a tool is missing, with the reason; fails instead where CI requires everything. */
    static void assumeInstalled(String... executables) {
        for (String executable : executables) {
            if (find(executable) == null) {
                String reason = executable + " is not installed (Debian: clang, llvm, bpftool)";
                if ("1".equals(System.getenv("KILN_REQUIRE_KERNEL"))) {
                    fail(reason + " and KILN_REQUIRE_KERNEL=1");
                }
                Assumptions.abort(reason);
            }
        }
    }

    private static Path find(String executable) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/usr/sbin").split(":")) {
            Path p = Path.of(dir, executable);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        Path sbin = Path.of("/usr/sbin", executable);
        return Files.isExecutable(sbin) ? sbin : null;
    }

    /** Runs a tool and returns its standard output; fails the test on a non-zero exit or a hang. */
    static String run(Path workDir, String... command) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of(command));
        Path exe = find(argv.get(0));
        assertTrue(exe != null, argv.get(0) + " not found");
        argv.set(0, exe.toString());
        Path out = Files.createTempFile(workDir, "out", ".txt");
        Path err = Files.createTempFile(workDir, "err", ".txt");
        Process p = new ProcessBuilder(argv).directory(workDir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try (InputStream ignored = p.getInputStream()) {
            if (!p.waitFor(TIME_LIMIT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail(String.join(" ", argv) + " did not finish in " + TIME_LIMIT_SECONDS + " s");
            }
        }
        String stdout = Files.readString(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), () -> String.join(" ", argv) + " failed:\n" + read(err) + stdout);
        return stdout;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** Compiles a test resource {@code io/kiln/object/NAME} with clang as the project does. */
    static Path compile(Path workDir, String resource, boolean debugInfo) throws IOException, InterruptedException {
        assumeInstalled("clang");
        Path source = workDir.resolve(resource);
        try (InputStream in = Tools.class.getResourceAsStream(resource)) {
            assertTrue(in != null, "missing test resource " + resource);
            Files.write(source, in.readAllBytes());
        }
        String name = resource.replace(".bpf.c", "") + (debugInfo ? "" : "-nobtf") + ".o";
        Path object = workDir.resolve(name);
        List<String> argv = new ArrayList<>(List.of("clang", "-target", "bpf", "-O2"));
        if (debugInfo) {
            argv.add("-g");
        }
        argv.addAll(List.of("-I/usr/include/x86_64-linux-gnu", "-c", source.toString(), "-o", object.toString()));
        run(workDir, argv.toArray(String[]::new));
        return object;
    }
}
