package io.kiln.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code kiln agent} as its own process (the test JVM's class path), so that tests can stop it with
 * a signal as an operator or Kubernetes would. Its output is collected line by line; every wait is
 * bounded. {@link #close()} kills it if it still runs.
 */
public final class AgentProcess implements AutoCloseable {
    private final Process process;
    private final List<String> lines = new ArrayList<>();
    private final Thread reader;

    private AgentProcess(Process process) {
        this.process = process;
        this.reader = new Thread(this::read, "kiln-agent-output");
        this.reader.setDaemon(true);
        this.reader.start();
    }

    /** Starts {@code kiln agent ARGS...} (with {@code --attach MODE} when the test run forces one, see AgentLab). */
    public static AgentProcess start(List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"),
                "-Dkiln.home=" + System.getProperty("kiln.home", ".."), "io.kiln.cli.Main", "agent"));
        command.addAll(io.kiln.agent.dataplane.AgentLab.attachArgs());
        command.addAll(args);
        return new AgentProcess(new ProcessBuilder(command).redirectErrorStream(true).start());
    }

    /** Starts {@code kiln agent --attach MODE ARGS...} whatever attach mode the test run forces. */
    public static AgentProcess start(io.kiln.runtime.AttachMode mode, List<String> args) throws IOException {
        return start(mode, args, java.util.Map.of());
    }

    /** {@link #start(io.kiln.runtime.AttachMode, List)} with {@code env} added to the process's environment. */
    public static AgentProcess start(io.kiln.runtime.AttachMode mode, List<String> args, java.util.Map<String, String> env)
            throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"),
                "-Dkiln.home=" + System.getProperty("kiln.home", ".."), "io.kiln.cli.Main", "agent",
                "--attach", mode.name()));
        command.addAll(args);
        ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true);
        b.environment().putAll(env);
        return new AgentProcess(b.start());
    }

    /** SIGKILL, waiting (bounded) until it is gone: what an OOM kill or a node's crash does to the agent. */
    public void kill(Duration timeout) throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the agent still runs " + timeout + " after SIGKILL");
        }
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                synchronized (lines) {
                    lines.add(line);
                    lines.notifyAll();
                }
            }
        } catch (IOException e) {
            // the process went away
        }
    }

    /** The first group of the first output line matching {@code regex}, waiting up to {@code timeout}. */
    public String await(String regex, Duration timeout) throws InterruptedException {
        Pattern p = Pattern.compile(regex);
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lines) {
            while (true) {
                for (String l : lines) {
                    Matcher m = p.matcher(l);
                    if (m.find()) {
                        return m.groupCount() > 0 ? m.group(1) : l;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || (!process.isAlive() && !reader.isAlive())) {
                    throw new AssertionError("no line matching " + regex + " in the agent's output:\n" + output());
                }
                lines.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    public String output() {
        synchronized (lines) {
            return String.join("\n", lines);
        }
    }

    /** SIGTERM, then the exit code (bounded wait). */
    public int terminate(Duration timeout) throws InterruptedException {
        // through the handle: Process.destroy() also closes our end of its output, losing what it prints on the way out
        process.toHandle().destroy();
        if (!process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the agent did not stop within " + timeout + " after SIGTERM:\n" + output());
        }
        reader.join(2000);
        return process.exitValue();
    }

    /** The exit code of a process expected to stop by itself (bad options, say), waiting up to {@code timeout}. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the agent still runs after " + timeout + ":\n" + output());
        }
        reader.join(2000);
        return process.exitValue();
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        }
    }
}
