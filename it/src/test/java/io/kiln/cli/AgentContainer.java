package io.kiln.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The agent's image run by podman as deploy/daemonset.yaml runs it: privileged, the host's network,
 * the host's bpffs at /sys/fs/bpf (shared, as mountPropagation: Bidirectional), the state folder at
 * /run/kiln, /run/netns (read-only, as the DaemonSet's netns volume), command {@code kiln agent ARGS}.
 * Every podman call is bounded; {@link #close()} removes the container.
 */
public final class AgentContainer implements AutoCloseable {
    public static final String IMAGE = "kiln:0.1.0-SNAPSHOT";
    /** The image and command, as the DaemonSet's container has them. */
    public static final List<String> COMMAND = List.of(IMAGE, "kiln", "agent");
    /** The state folder's path in the container; the test mounts its own folder there. */
    public static final String STATE = "/run/kiln";
    /** The DaemonSet's hostPath mounts, in its order, with their propagation (null: none) and readOnly. */
    public static final List<Mount> MOUNTS = List.of(
            new Mount("/sys/fs/bpf", "/sys/fs/bpf", "Bidirectional", false),
            new Mount("/run/kiln", STATE, null, false),
            new Mount("/run/netns", "/run/netns", "HostToContainer", true));

    /** A hostPath volume mount; {@link #podmanOptions()} is its podman spelling. */
    public record Mount(String hostPath, String containerPath, String propagation, boolean readOnly) {
        String podmanOptions() {
            List<String> o = new ArrayList<>();
            if (readOnly) {
                o.add("ro");
            }
            if ("Bidirectional".equals(propagation)) {
                o.add("rshared");
            } else if ("HostToContainer".equals(propagation)) {
                o.add("rslave");
            }
            return o.isEmpty() ? "" : ":" + String.join(",", o);
        }
    }
    private static final Duration PODMAN_CALL = Duration.ofSeconds(120);

    private final String name;

    private AgentContainer(String name) {
        this.name = name;
    }

    public record Result(int exit, String output) {
    }

    /** Runs podman with {@code args}, waiting at most {@code timeout}; its output and error together. */
    public static Result podman(Duration timeout, List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("podman"));
        command.addAll(args);
        Path out = Files.createTempFile("kiln-podman", ".out");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("podman " + args + " did not finish within " + timeout);
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /**
     * Starts the image detached as {@code name}: {@code kiln agent ARGS}, with {@code stateDir} at /run/kiln.
     * runc, not crun: crun refuses hosts whose cgroups are mounted in hybrid mode, as this machine's are. The
     * rlimits are the test process's own (podman asks for higher ones by default, which needs
     * CAP_SYS_RESOURCE; a kubelet's runtime passes its own).
     */
    public static AgentContainer start(String name, Path stateDir, List<String> agentArgs) throws Exception {
        return start(name, IMAGE, stateDir, agentArgs);
    }

    /** {@link #start(String, Path, List)} with another image (a rolling update's next one). */
    public static AgentContainer start(String name, String image, Path stateDir, List<String> agentArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of("--runtime", "runc", "run", "-d", "--name", name,
                "--privileged", "--network", "host",
                "--ulimit", "nofile=" + openFilesLimit(),
                "--ulimit", "nproc=4096:4096"));
        for (Mount m : MOUNTS) {
            String host = m.containerPath().equals(STATE) ? stateDir.toAbsolutePath().toString() : m.hostPath();
            args.addAll(List.of("-v", host + ":" + m.containerPath() + m.podmanOptions()));
        }
        args.add(image);
        args.addAll(COMMAND.subList(1, COMMAND.size()));
        args.addAll(agentArgs);
        Result r = podman(PODMAN_CALL, args);
        if (r.exit() != 0) {
            throw new AssertionError("podman run exited " + r.exit() + ": " + r.output());
        }
        return new AgentContainer(name);
    }

    /** "soft:hard" open files of this process, from /proc/self/limits. */
    private static String openFilesLimit() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                String[] f = line.substring("Max open files".length()).trim().split("\\s+");
                return f[0].replace("unlimited", "-1") + ":" + f[1].replace("unlimited", "-1");
            }
        }
        return "1024:1024";
    }

    public String logs() throws Exception {
        return podman(PODMAN_CALL, List.of("logs", name)).output();
    }

    /** The first group of the first log line matching {@code regex}, polling up to {@code timeout}. */
    public String await(String regex, Duration timeout) throws Exception {
        Pattern p = Pattern.compile(regex);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String logs = logs();
            for (String l : logs.split("\n")) {
                Matcher m = p.matcher(l);
                if (m.find()) {
                    return m.groupCount() > 0 ? m.group(1) : l;
                }
            }
            if (System.nanoTime() > deadline || !running()) {
                throw new AssertionError("no line matching " + regex + " in the container's log:\n" + logs);
            }
            Thread.sleep(200);
        }
    }

    public boolean running() throws Exception {
        Result r = podman(PODMAN_CALL, List.of("inspect", "--format", "{{.State.Running}}", name));
        return r.exit() == 0 && r.output().strip().equals("true");
    }

    /** {@code podman stop}: SIGTERM, then SIGKILL after {@code grace}, as the kubelet does; the exit code. */
    public int stop(Duration grace) throws Exception {
        Result r = podman(PODMAN_CALL.plus(grace), List.of("stop", "-t", Long.toString(grace.toSeconds()), name));
        if (r.exit() != 0) {
            throw new AssertionError("podman stop: " + r.output());
        }
        return Integer.parseInt(podman(PODMAN_CALL, List.of("inspect", "--format", "{{.State.ExitCode}}", name))
                .output().strip());
    }

    @Override
    public void close() throws Exception {
        podman(PODMAN_CALL, List.of("rm", "-f", "-t", "0", name));
    }
}
