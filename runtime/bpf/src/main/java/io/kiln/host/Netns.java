package io.kiln.host;

import com.sun.jna.Native;
import io.kiln.bpf.internal.LibC;
import io.kiln.bpf.Errno;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The network namespace an endpoint's interface lives in. Interface names, ifindexes and tc
 * (netlink) are per namespace, so every step that touches the interface runs inside it. In
 * production that is the {@link #host()} namespace the agent runs in; tests use namespaces they
 * create ({@code ip netns add}), named by their path under {@code /run/netns}.
 */
public final class Netns {
    private static final Netns HOST = new Netns(null);
    private static final Path RUN_NETNS = Path.of("/run/netns");

    private final Path path; // null: the namespace of this process

    private Netns(Path path) {
        this.path = path;
    }

    /** The namespace this process runs in; work runs on the calling thread. */
    public static Netns host() {
        return HOST;
    }

    /** A namespace made with {@code ip netns add <name>}: {@code /run/netns/<name>}. */
    public static Netns named(String name) {
        if (name == null || name.isEmpty() || name.contains("/") || name.startsWith(".")) {
            throw new IllegalArgumentException("network namespace name '" + name + "': a plain name as in ip netns list");
        }
        return new Netns(RUN_NETNS.resolve(name));
    }

    /** A namespace file (a bind mount such as {@code /run/netns/x}, or {@code /proc/<pid>/ns/net}). */
    public static Netns at(Path file) {
        return new Netns(Objects.requireNonNull(file, "file").toAbsolutePath().normalize());
    }

    /** Reads back what {@link #toString()} wrote: {@code host} or a path. */
    public static Netns parse(String text) {
        return text == null || text.equals("host") ? HOST : at(Path.of(text));
    }

    public boolean isHost() {
        return path == null;
    }

    /** False once a named namespace was deleted (its interfaces, filters and tcx/XDP hooks went with it). */
    public boolean exists() {
        return path == null || Files.exists(path);
    }

    /**
     * Runs {@code task} inside this namespace: on the calling thread for the host namespace, else
     * on a fresh thread that enters it ({@code setns}) and ends with the task, so no pooled thread
     * is ever left in the wrong namespace. Exceptions of the task reach the caller unchanged.
     */
    public <T> T call(Callable<T> task) {
        if (path == null) {
            try {
                return task.call();
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                enter();
                result.set(task.call());
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "kiln-netns");
        t.start();
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // the task is kernel work that ends on its own; never abandon it half done
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Throwable f = failure.get();
        if (f instanceof RuntimeException e) {
            throw e;
        }
        if (f instanceof Error e) {
            throw e;
        }
        if (f != null) {
            throw new IllegalStateException(f);
        }
        return result.get();
    }

    /** {@link #call} without a result. */
    public void run(Runnable task) {
        call(() -> {
            task.run();
            return null;
        });
    }

    /** The interface named {@code name} in this namespace, with its ifindex and MAC, or empty if there is none. */
    public java.util.Optional<NetInterface> findInterface(String name) {
        return call(() -> {
            int ifindex = Interfaces.ifindex(name);
            if (ifindex == 0) {
                return java.util.Optional.<NetInterface>empty();
            }
            return java.util.Optional.of(new NetInterface(name, ifindex, Interfaces.mac(name)));
        });
    }

    private void enter() {
        if (!Files.exists(path)) {
            throw new HostException("network namespace " + path + ": no such namespace", true);
        }
        int fd = LibC.open(path.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (fd < 0) {
            throw new HostException("network namespace " + path + ": open: " + Errno.describe(Native.getLastError()),
                    false);
        }
        try {
            if (LibC.setns(fd, LibC.CLONE_NEWNET) != 0) {
                throw new HostException("network namespace " + path + ": setns: "
                        + Errno.describe(Native.getLastError()), false);
            }
        } finally {
            LibC.close(fd);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Netns other && Objects.equals(path, other.path);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(path);
    }

    /** {@code host}, or the namespace's path. */
    @Override
    public String toString() {
        return path == null ? "host" : path.toString();
    }
}
