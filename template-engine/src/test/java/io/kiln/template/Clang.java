package io.kiln.template;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Runs the real clang for tests, without a shell and with a time limit. */
final class Clang {
    static final Path CLANG = Path.of("/usr/bin/clang");
    private static final long TIMEOUT_SECONDS = 60;

    record Result(int exitCode, String stdout, String stderr) {
    }

    private Clang() {
    }

    static void assumeAvailable() {
        assumeTrue(Files.isExecutable(CLANG), "clang is not installed at " + CLANG + "; this test runs the real compiler");
    }

    /** Compiles {@code source} (written as {@code fileName} in {@code dir}) for BPF into {@code dir}. */
    static Result compile(Path dir, String fileName, String source, List<Path> includeDirs) throws Exception {
        Path c = dir.resolve(fileName);
        Files.writeString(c, source);
        List<String> args = new ArrayList<>(List.of(CLANG.toString(), "-target", "bpf", "-O2", "-g",
                "-I/usr/include/x86_64-linux-gnu"));
        for (Path include : includeDirs) {
            args.add("-I" + include);
        }
        args.addAll(List.of("-c", c.toString(), "-o", dir.resolve(fileName + ".o").toString()));
        return run(dir, args);
    }

    /** Preprocesses {@code source} only ({@code clang -E}), so tests can read clang's own line markers. */
    static Result preprocess(Path dir, String source) throws Exception {
        Path c = dir.resolve("pp.c");
        Files.writeString(c, source);
        return run(dir, List.of(CLANG.toString(), "-E", "-x", "c", c.toString()));
    }

    static Result run(Path dir, List<String> args) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "clang", ".out");
        Path err = Files.createTempFile(dir, "clang", ".err");
        ProcessBuilder pb = new ProcessBuilder(args).directory(dir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/bin:/bin");
        Process p = pb.start();
        if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("clang did not finish in " + TIMEOUT_SECONDS + " s: " + args);
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }
}
