package io.kiln.bench;

import io.kiln.FileTrees;
import io.kiln.host.Host;
import io.kiln.runtime.EndpointLoader;
import io.kiln.runtime.AttachMode;
import io.kiln.host.Netns;
import io.kiln.lab.Command;
import io.kiln.lab.NetworkNamespace;
import io.kiln.lab.VethPair;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a benchmark runs: two network namespaces of its own joined by a veth, the host side
 * {@link #HOST_IF} (198.18.0.1, where the programs attach) and the endpoint side {@link #ENDPOINT_IF}
 * (198.18.0.2); a pin root and a state folder of its own. {@link #close()} removes all of it.
 */
public final class BenchLab implements AutoCloseable {
    public static final String HOST_IF = "kb-host0";
    public static final String ENDPOINT_IF = "kb-ep0";
    public static final String HOST_ADDR = "198.18.0.1";
    public static final String ENDPOINT_ADDR = "198.18.0.2";
    private static final Pattern MAC = Pattern.compile("link/ether ([0-9a-f:]{17})");

    private final NetworkNamespace host;
    private final NetworkNamespace endpoint;
    private final Path pinRoot;
    private final Path stateDir;

    private BenchLab(NetworkNamespace host, NetworkNamespace endpoint, Path pinRoot, Path stateDir) {
        this.host = host;
        this.endpoint = endpoint;
        this.pinRoot = pinRoot;
        this.stateDir = stateDir;
    }

    /** True when this process may do what a benchmark does (BPF, namespaces): it runs as root. */
    public static boolean haveRoot() {
        return Host.isRoot();
    }

    public static BenchLab create(String name) {
        NetworkNamespace h = NetworkNamespace.create(name + "-host");
        NetworkNamespace e = null;
        try {
            e = NetworkNamespace.create(name + "-ep");
            VethPair veth = VethPair.create(h, HOST_IF, e, ENDPOINT_IF);
            veth.a().addAddress(HOST_ADDR + "/24");
            veth.b().addAddress(ENDPOINT_ADDR + "/24");
            String id = UUID.randomUUID().toString().substring(0, 8);
            // state on tmpfs (/run) as in production, where it is /run/kiln/endpoints
            Path base = Files.isDirectory(Path.of("/run")) ? Path.of("/run") : Path.of(System.getProperty("java.io.tmpdir"));
            return new BenchLab(h, e, Path.of("/sys/fs/bpf/kiln-bench-" + id),
                    Files.createDirectories(base.resolve("kiln-bench-" + id)));
        } catch (IOException | RuntimeException failure) {
            h.close();
            if (e != null) {
                e.close();
            }
            throw failure instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) failure;
        }
    }

    public EndpointLoader loader(AttachMode mode) {
        return EndpointLoader.builder().pinRoot(pinRoot).stateDir(stateDir).attachMode(mode).build();
    }

    public Path pinRoot() {
        return pinRoot;
    }

    public Netns hostNs() {
        return host.netns();
    }

    public Netns endpointNs() {
        return endpoint.netns();
    }

    public int hostIfindex() {
        return host.ifindex(HOST_IF);
    }

    public String hostMac() {
        return mac(host, HOST_IF);
    }

    public String endpointMac() {
        return mac(endpoint, ENDPOINT_IF);
    }

    private static String mac(NetworkNamespace ns, String ifname) {
        Matcher m = MAC.matcher(ns.ip("link", "show", "dev", ifname).stdout());
        if (!m.find()) {
            throw new IllegalStateException("no MAC address for " + ifname + " in " + ns);
        }
        return m.group(1);
    }

    /** Runs a command in the host-side namespace. */
    public Command.Result execInHost(List<String> command) {
        return host.exec(command);
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        try {
            loader(AttachMode.AUTO).uninstall();
        } catch (RuntimeException e) {
            failure = e;
        }
        host.close();
        endpoint.close();
        deleteTree(pinRoot);
        deleteTree(stateDir);
        if (failure != null) {
            throw failure;
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try {
            FileTrees.delete(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
