package io.kiln.compile.internal;

import io.kiln.KilnException;
import org.zeroturnaround.exec.ProcessExecutor;
import org.zeroturnaround.exec.ProcessResult;
import org.zeroturnaround.exec.StartedProcess;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs one tool process: an argument list (never a shell), a time limit, and a clean environment, so
 * that what the caller's shell exports (CPATH, C_INCLUDE_PATH, CCC_OVERRIDE_OPTIONS, a stray LANG)
 * can never change the object clang produces for a given key.
 */
public final class ToolProcess {
    private static final Duration KILL_WAIT = Duration.ofSeconds(5);
    /** Output kept per run; a template can make clang print without end (a macro storm, a crash). */
    public static final int MAX_OUTPUT_BYTES = 1 << 20;
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
        BoundedOutput output = new BoundedOutput(MAX_OUTPUT_BYTES);
        ProcessExecutor executor = new ProcessExecutor()
                .command(command)
                .directory(directory.toFile())
                .environment(cleanEnvironment(Path.of(command.get(0)), directory))
                .redirectErrorStream(true)
                .redirectOutput(output)
                .exitValueAny()
                .stopper(ToolProcess::killTree);
        StartedProcess started;
        try {
            started = executor.start();
        } catch (IOException e) {
            throw new KilnException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        }
        try {
            // waiting here rather than through zt-exec's own timeout: that one stops the process from
            // another thread after returning, and the caller must know the process is gone
            ProcessResult result = started.getFuture().get(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
            return new Outcome(result.getExitValue(), output.text(),
                    Duration.ofNanos(System.nanoTime() - start));
        } catch (TimeoutException e) {
            killTree(started.getProcess());
            throw new TimedOut(timeout);
        } catch (ExecutionException e) {
            killTree(started.getProcess());
            throw new KilnException("cannot run " + command.get(0) + ": " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            killTree(started.getProcess());
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

    /** Kills the process and everything it started, and waits (briefly) until they are gone. */
    private static void killTree(Process process) {
        // clang may run cc1 as a child process; destroying only the driver would orphan it. Children
        // are listed first: once their parent dies they are reparented and no longer descendants.
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        tree.add(process.toHandle());
        tree.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle handle : tree) {
            try {
                handle.onExit().get(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException | TimeoutException e) {
                // SIGKILL cannot be refused; a process still listed now is a zombie its parent will reap
            }
        }
    }

    /** Keeps the first {@code limit} bytes a process prints and counts the rest. */
    static final class BoundedOutput extends OutputStream {
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private final int limit;
        private long dropped;

        BoundedOutput(int limit) {
            this.limit = limit;
        }

        @Override
        public synchronized void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            int room = Math.max(0, Math.min(len, limit - kept.size()));
            kept.write(b, off, room);
            dropped += len - room;
        }

        synchronized String text() {
            String text = kept.toString(StandardCharsets.UTF_8);
            return dropped == 0 ? text : text + "\n... " + dropped + " more bytes of output dropped ...\n";
        }
    }
}
