package io.kiln.runtime;

import io.kiln.host.Netns;

import io.kiln.lab.UdpFlow;
import io.kiln.testing.BpfLeakCheck;
import io.kiln.lab.Command;
import io.kiln.testing.KernelRequirements;
import io.kiln.lab.NetworkNamespace;
import io.kiln.lab.VethPair;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A test's own world: namespaces {@code ep} (the endpoint's interface ks-ep0, 198.18.0.1) and
 * {@code peer} (ks-ep1, 198.18.0.2, the endpoint's side of the veth), a pin root
 * /sys/fs/bpf/kiln-test-RANDOM, a state folder, and a leak check of everything named ks_*.
 * {@link #close()} uninstalls, deletes the namespaces and the pin root, then checks for leaks.
 */
final class EndpointLab implements AutoCloseable {
    static final String EP_IF = "ks-ep0";
    static final String PEER_IF = "ks-ep1";
    static final String EP_ADDR = "198.18.0.1";
    static final String PEER_ADDR = "198.18.0.2";
    private static int nextPort = 40_000;

    final BpfLeakCheck leaks;
    final Path pinRoot;
    final Path stateDir;
    final NetworkNamespace ep;
    final NetworkNamespace peer;
    final Netns epNs;
    final Netns peerNs;
    private final List<AutoCloseable> resources = new ArrayList<>();

    private EndpointLab(Path stateDir) {
        this.leaks = BpfLeakCheck.begin("ks_");
        this.pinRoot = Path.of("/sys/fs/bpf/kiln-test-" + UUID.randomUUID().toString().substring(0, 8));
        this.stateDir = stateDir;
        NetworkNamespace e = null;
        NetworkNamespace p = null;
        try {
            e = NetworkNamespace.create("test-ep");
            p = NetworkNamespace.create("test-peer");
            VethPair veth = VethPair.create(e, EP_IF, p, PEER_IF);
            veth.a().addAddress(EP_ADDR + "/24");
            veth.b().addAddress(PEER_ADDR + "/24");
        } catch (RuntimeException failure) {
            if (e != null) {
                e.close();
            }
            if (p != null) {
                p.close();
            }
            throw failure;
        }
        this.ep = e;
        this.peer = p;
        this.epNs = Netns.named(e.name());
        this.peerNs = Netns.named(p.name());
    }

    /** Skips (or fails under KILN_REQUIRE_KERNEL=1) without root, BPF, ip, tc, bpftool or clang. */
    static EndpointLab create(Path stateDir) {
        KernelRequirements.assumeKernel();
        KernelRequirements.assumeTools("ip", "tc", "bpftool", "clang");
        return new EndpointLab(stateDir);
    }

    /**
     * A loader with {@code mode}; AUTO becomes the run's forced mode when {@code -Dkiln.test.attach} names one (core's
     * legacy-tc execution runs SwapSafetyTest so: docs/testing.md). Explicit TCX or LEGACY_TC stay as asked.
     */
    EndpointLoader loader(AttachMode mode) {
        String forced = System.getProperty("kiln.test.attach", "");
        if (mode == AttachMode.AUTO && !forced.isBlank()) {
            mode = AttachMode.valueOf(forced.strip().toUpperCase(java.util.Locale.ROOT));
        }
        return EndpointLoader.builder().pinRoot(pinRoot).stateDir(stateDir).attachMode(mode).build();
    }

    Endpoint endpoint(int id, Map<String, byte[]> constants) {
        return new Endpoint(id, EP_IF, constants, epNs);
    }

    /** Closed with the lab, before the namespaces go. */
    <T extends AutoCloseable> T closeLater(T resource) {
        resources.add(resource);
        return resource;
    }

    /** Sends {@code n} datagrams from the peer to the endpoint's side at 2,000/s; how many arrived. */
    long udpDelivered(int n) {
        try (UdpFlow flow = UdpFlow.start(peerNs, epNs, new InetSocketAddress(EP_ADDR, port()), 2_000, n,
                Duration.ofSeconds(10))) {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (flow.isSending() && System.nanoTime() < deadline) {
                sleep(5);
            }
            return flow.stop().received();
        }
    }

    static synchronized int port() {
        return nextPort++;
    }

    /** {@code tc filter show} of the endpoint's interface in one direction. */
    String tcFilters(String direction) {
        return Command.run(List.of("tc", "-n", ep.name(), "filter", "show", "dev", EP_IF, direction)).orThrow().stdout();
    }

    String qdiscs() {
        return Command.run(List.of("tc", "-n", ep.name(), "qdisc", "show", "dev", EP_IF)).orThrow().stdout();
    }

    /** Every path under the pin root, relative. */
    List<String> pins() {
        if (!Files.exists(pinRoot)) {
            return List.of();
        }
        try (Stream<Path> all = Files.walk(pinRoot)) {
            return all.filter(p -> !Files.isDirectory(p)).map(p -> pinRoot.relativize(p).toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                failure = first(failure, e);
            }
        }
        try {
            loader(AttachMode.AUTO).uninstall();
        } catch (RuntimeException e) {
            failure = first(failure, e);
        }
        try {
            deleteTree(pinRoot);
        } catch (RuntimeException e) {
            failure = first(failure, e);
        }
        ep.close();
        peer.close();
        if (failure != null) {
            throw failure;
        }
        leaks.assertNoLeaks();
    }

    private static RuntimeException first(RuntimeException failure, Exception e) {
        if (failure == null) {
            return e instanceof RuntimeException r ? r : new IllegalStateException(e);
        }
        failure.addSuppressed(e);
        return failure;
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
