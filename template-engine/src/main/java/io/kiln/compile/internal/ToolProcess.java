package io.kiln.compile.internal;

import io.kiln.KilnException;
import org.zeroturnaround.exec.ProcessExecutor;
import org.zeroturnaround.exec.ProcessResult;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs one tool process: an argument list (never a shell), a time limit, and a clean environment, so
 * that what the caller's shell exports (CPATH, C_INCLUDE_PATH, CCC_OVERRIDE_OPTIONS, a stray LANG)
 * can never change the object clang produces for a given key.
 */
public final class ToolProcess {
    private ToolProcess() {
    }

    /** What a finished process left behind: exit code, stdout and stderr interleaved, wall time. */
    public record Outcome(int exitCode, String output, Duration elapsed) {
    }

    /** Thrown when the process ran past its time limit; it has been killed (with its children). */
    public static final class TimedOut extends Exception {
        private static final long serialVersionUID = 1L;

        public TimedOut(Duration limit) {
            super("timed out after " + limit.toMillis() + " ms");
        }
    }

    /**
     * Runs {@code command} in {@code directory} and returns whatever exit code it had.
     *
     * @throws KilnException when the program cannot be started or the thread is interrupted
     */
    public static Outcome run(List<String> command, Path directory, Duration timeout) throws TimedOut {
        long start = System.nanoTime();
        ProcessExecutor executor = new ProcessExecutor()
                .command(command)
                .directory(directory.toFile())
                .environment(cleanEnvironment(Path.of(command.get(0)), directory))
                .redirectErrorStream(true)
                .readOutput(true)
                .exitValueAny()
                .timeout(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS)
                .stopper(ToolProcess::killTree);
        try {
            ProcessResult result = executor.execute();
            return new Outcome(result.getExitValue(), result.outputString("UTF-8"),
                    Duration.ofNanos(System.nanoTime() - start));
        } catch (TimeoutException e) {
            throw new TimedOut(timeout);
        } catch (IOException e) {
            throw new KilnException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KilnException("interrupted while running " + command.get(0), e);
        }
    }

    /**
     * zt-exec only overlays its map on the inherited environment, where a null value removes a
     * variable; so every inherited name is mapped to null and then the few clang needs are set.
     */
    static Map<String, String> cleanEnvironment(Path program, Path directory) {
        Map<String, String> env = new LinkedHashMap<>();
        System.getenv().keySet().forEach(name -> env.put(name, null));
        Path programDir = program.toAbsolutePath().getParent();
        String path = "/usr/bin:/bin";
        if (programDir != null && !List.of("/usr/bin", "/bin").contains(programDir.toString())) {
            path = programDir + ":" + path;
        }
        env.put("PATH", path);
        env.put("LC_ALL", "C");
        env.put("TMPDIR", directory.toAbsolutePath().toString());
        return env;
    }

    private static void killTree(Process process) {
        // clang may run cc1 as a child process; destroying only the driver would orphan it.
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }
}
