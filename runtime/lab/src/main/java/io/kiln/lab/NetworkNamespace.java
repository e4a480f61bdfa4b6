package io.kiln.lab;

import io.kiln.host.Netns;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

/**
 * A network namespace a test creates ({@code ip netns add kiln-<prefix>-<random>}) and deletes on
 * {@link #close()}. Namespaces still open when the JVM exits (a test that crashed past its
 * cleanup) are deleted by a shutdown hook. Its loopback is up.
 */
public final class NetworkNamespace implements AutoCloseable {
    private static final Pattern PREFIX = Pattern.compile("[a-z0-9][a-z0-9-]{0,23}");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Set<String> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (String name : List.copyOf(LIVE)) {
                delete(name);
            }
        }, "kiln-netns-cleanup"));
    }

    private final String name;

    private NetworkNamespace(String name) {
        this.name = name;
    }

    /** Creates {@code kiln-<prefix>-<6 hex digits>} with its loopback up. */
    public static NetworkNamespace create(String prefix) {
        if (prefix == null || !PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException("namespace prefix '" + prefix + "': lower-case letters, digits and '-'");
        }
        String name = "kiln-" + prefix + "-" + String.format("%06x", RANDOM.nextInt(1 << 24));
        Command.run(List.of("ip", "netns", "add", name)).orThrow();
        LIVE.add(name);
        NetworkNamespace ns = new NetworkNamespace(name);
        try {
            ns.ip("link", "set", "lo", "up");
        } catch (RuntimeException e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    public String name() {
        return name;
    }

    /** Runs a command inside the namespace ({@code ip netns exec}). */
    public Command.Result exec(List<String> command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
        full.addAll(command);
        return Command.run(full);
    }

    /** Runs {@code ip -n <ns> args...} and fails on a non-zero exit. */
    public Command.Result ip(String... args) {
        List<String> full = new ArrayList<>(List.of("ip", "-n", name));
        full.addAll(List.of(args));
        return Command.run(full).orThrow();
    }

    /** The ifindex of an interface in this namespace. */
    public int ifindex(String ifname) {
        String out = ip("-o", "link", "show", "dev", ifname).stdout().strip();
        int colon = out.indexOf(':');
        if (colon <= 0) {
            throw new IllegalStateException("ip -n " + name + " link show dev " + ifname + ": unexpected output: " + out);
        }
        return Integer.parseInt(out.substring(0, colon));
    }

    /** This namespace for the host API (attach, interfaces, tc), which enters it through {@link Netns}. */
    public Netns netns() {
        return Netns.named(name);
    }

    /**
     * Runs {@code task} inside this namespace through {@link Netns#call}, so ifindexes, tc (netlink)
     * and link creation refer to this namespace's interfaces. Checked exceptions of the task reach
     * the caller unchanged, where Netns would wrap them.
     */
    public <T> T call(Callable<T> task) throws Exception {
        AtomicReference<Exception> checked = new AtomicReference<>();
        T result = netns().call(() -> {
            try {
                return task.call();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                checked.set(e);
                return null;
            }
        });
        if (checked.get() != null) {
            throw checked.get();
        }
        return result;
    }

    /** {@link #call} for a task without a result. */
    public void run(ThrowingRunnable task) throws Exception {
        call(() -> {
            task.run();
            return null;
        });
    }

    /** A task that may throw. */
    @FunctionalInterface
    public interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** True while {@code ip netns list} shows this namespace. */
    public boolean exists() {
        return exists(name);
    }

    static boolean exists(String name) {
        for (String line : Command.run(List.of("ip", "netns", "list")).orThrow().stdout().split("\n")) {
            String n = line.strip();
            int space = n.indexOf(' ');
            if ((space < 0 ? n : n.substring(0, space)).equals(name)) {
                return true;
            }
        }
        return false;
    }

    /** Deletes the namespace (and with it its interfaces, tc filters and the programs only they held). Idempotent. */
    @Override
    public void close() {
        delete(name);
    }

    private static void delete(String name) {
        if (LIVE.remove(name) || exists(name)) {
            Command.Result r = Command.run(List.of("ip", "netns", "delete", name));
            if (r.exitCode() != 0 && exists(name)) {
                r.orThrow();
            }
        }
    }

    @Override
    public String toString() {
        return "netns " + name;
    }
}
