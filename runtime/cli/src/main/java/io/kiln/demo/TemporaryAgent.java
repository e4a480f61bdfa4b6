package io.kiln.demo;

import io.kiln.FileTrees;
import io.kiln.agent.Agent;
import io.kiln.agent.api.AgentClient;
import io.kiln.agent.api.AgentStatus;
import io.kiln.agent.api.EndpointStatus;
import io.kiln.agent.dataplane.KernelDataplane;
import io.kiln.agent.dataplane.ObjectSources;
import io.kiln.agent.reconcile.ReconcilerOptions;
import io.kiln.agent.spec.TemplateCatalog;
import io.kiln.build.VariantBuilder;
import io.kiln.runtime.AttachMode;
import io.kiln.runtime.PinLayout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A node agent in this process on folders of its own: a spec directory (the embedded default
 * source), a state folder, a pin root in bpffs and an object store, all temporary. The API, when
 * asked for, listens on the Unix socket of that state folder: it never clashes with an agent the machine runs. {@link #close()} stops it and leaves what
 * runs; {@link #uninstall()} then removes every program, link, pin and file it made.
 */
public final class TemporaryAgent implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path base;
    private final SpecFiles specs;
    private final PinLayout pins;
    private final KernelDataplane kernel;
    private final ObjectSources objects;
    private final Agent agent;

    private TemporaryAgent(Path base, Path pinRoot, TemplateCatalog catalog, int parallelism, AttachMode mode,
                           boolean api, boolean tier0,
                           java.util.function.BiConsumer<Agent.Builder, PinLayout> more) {
        this.base = base;
        this.specs = new SpecFiles(base.resolve("specs"));
        this.pins = new PinLayout(pinRoot);
        VariantBuilder builder = VariantBuilder.defaults(base.resolve("objects")).build();
        this.objects = ObjectSources.builder().compiler(builder).build();
        this.kernel = KernelDataplane.builder().pinRoot(pinRoot).stateDirectory(base.resolve("state"))
                .attachMode(mode).objects(objects).tier0(tier0).templates(catalog::find).build();
        try {
            Files.createDirectories(specs.dir().resolve("endpoints"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Agent.Builder b = Agent.builder().catalog(catalog).dataplane(kernel).stateDirectory(base.resolve("state"))
                .specDirectory(specs.dir(), Duration.ofSeconds(10)).api(api)
                .metrics(kernel.metrics())
                .reconcilerOptions(ReconcilerOptions.defaults().withParallelism(parallelism)
                        .withBackoff(Duration.ofMillis(200), Duration.ofSeconds(5)));
        more.accept(b, pins);
        this.agent = b.build();
    }

    /**
     * Makes the folders ({@code /run/kiln-NAME-xxxxxx}, or under java.io.tmpdir without /run) and
     * the pin root ({@code /sys/fs/bpf/kiln-NAME-xxxxxx}); the agent is built, not started.
     */
    public static TemporaryAgent create(String name, TemplateCatalog catalog, int parallelism) {
        return create(name, catalog, parallelism, AttachMode.AUTO, false);
    }

    /**
     * {@link #create(String, TemplateCatalog, int)} with an attach mode, and the local API on its Unix
     * socket when {@code api} ({@link #client()}). Endpoints go straight to their specialized programs.
     */
    public static TemporaryAgent create(String name, TemplateCatalog catalog, int parallelism, AttachMode mode,
                                        boolean api) {
        return create(name, catalog, parallelism, mode, api, false);
    }

    /**
     * {@link #create(String, TemplateCatalog, int, AttachMode, boolean)}; with {@code tier0}, new
     * endpoints of templates that have a tier 0 start there ({@code KernelDataplane.Builder#tier0}).
     */
    public static TemporaryAgent create(String name, TemplateCatalog catalog, int parallelism, AttachMode mode,
                                        boolean api, boolean tier0) {
        return create(name, catalog, parallelism, mode, api, tier0, (b, pins) -> { });
    }

    /** {@link #create(String, TemplateCatalog, int, AttachMode, boolean, boolean)}, the agent's builder given to {@code more} first. */
    public static TemporaryAgent create(String name, TemplateCatalog catalog, int parallelism, AttachMode mode,
                                        boolean api, boolean tier0,
                                        java.util.function.BiConsumer<Agent.Builder, PinLayout> more) {
        String suffix = name + "-" + String.format("%06x", RANDOM.nextInt(1 << 24));
        Path runDir = Files.isDirectory(Path.of("/run")) ? Path.of("/run") : Path.of(System.getProperty("java.io.tmpdir"));
        try {
            Path base = Files.createDirectories(runDir.resolve("kiln-" + suffix));
            try {
                return new TemporaryAgent(base, Path.of("/sys/fs/bpf/kiln-" + suffix), catalog, parallelism, mode, api,
                        tier0, more);
            } catch (RuntimeException e) {
                deleteTree(base); // e.g. no clang: nothing was made but the folders
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("create the agent's folders: " + e.getMessage(), e);
        }
    }

    /** Starts the agent: adopts what runs under its pin root, reads the spec directory. */
    public TemporaryAgent start() {
        agent.start();
        return this;
    }

    public Agent agent() {
        return agent;
    }

    /** A client of the agent's API (started with {@code api}), over its Unix socket. */
    public AgentClient client() {
        return AgentClient.unix(agent.apiSocket());
    }

    /** The dataplane's metrics: cache, clang, phases of a regeneration, drops. */
    public io.kiln.agent.api.MetricsProvider kernelMetrics() {
        return kernel.metrics();
    }

    public SpecFiles specs() {
        return specs;
    }

    public PinLayout pins() {
        return pins;
    }

    /** The folder holding specs, state, dataplane state and objects. */
    public Path base() {
        return base;
    }

    /** Where objects come from, with their figures: hits, misses, clang runs. */
    public ObjectSources objects() {
        return objects;
    }

    public AgentStatus status() {
        return agent.reconciler().status();
    }

    public Optional<EndpointStatus> endpoint(int id) {
        return status().endpoints().stream().filter(e -> e.id() == id).findFirst();
    }

    /** Program name to id of what endpoint {@code id} runs (empty when nothing). */
    public Map<String, Integer> programIds(int id) {
        return endpoint(id).map(EndpointStatus::programIds).orElse(Map.of());
    }

    /**
     * Waits until the reconciler has no work left and {@code condition} holds for the status;
     * throws naming what is not ready when {@code timeout} passes first.
     */
    public AgentStatus await(Predicate<AgentStatus> condition, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                long left = Math.max(1, deadline - System.nanoTime());
                boolean settled = agent.reconciler().awaitSettled(Duration.ofNanos(Math.min(left,
                        Duration.ofMillis(50).toNanos())));
                AgentStatus s = status();
                if (settled && s.synced() && condition.test(s)) {
                    return s;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(what + ": not done within " + timeout.toSeconds() + " s; "
                            + describe(s));
                }
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(what + ": interrupted", e);
            }
        }
    }

    /** Every endpoint's state and reason, and the spec errors, on one line each. */
    public static String describe(AgentStatus s) {
        StringBuilder b = new StringBuilder(s.ready() + " of " + s.total() + " endpoints ready");
        for (EndpointStatus e : s.endpoints()) {
            if (e.state() != EndpointStatus.State.READY) {
                b.append("\n  endpoint ").append(e.id()).append(": ").append(e.state())
                        .append(e.reason() == null ? "" : ": " + e.reason());
            }
        }
        s.errors().forEach(err -> b.append("\n  spec: ").append(err.message()));
        if (s.nodeReason() != null) {
            b.append("\n  node maps: ").append(s.nodeReason());
        }
        return b.toString();
    }

    /** Stops sources, API and reconciler; programs keep running. */
    @Override
    public void close() {
        agent.close();
    }

    /** Detaches every endpoint, removes every pin under its root and deletes its folders. Call after {@link #close()}. */
    public void uninstall() {
        try {
            new io.kiln.runtime.PolicyChain(kernel.loader()).uninstall(); // first: a chain's tc filters are not pins
            kernel.loader().uninstall();
        } finally {
            deleteTree(base);
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try {
            FileTrees.delete(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("delete " + dir + ": " + e.getMessage(), e);
        }
    }

    /** How endpoint {@code id}'s chained programs are attached: {@code program syn_guard (tcx tc-egress)}. */
    public String chainAttachments(int id) {
        List<io.kiln.runtime.AttachedEndpoint> chain = new io.kiln.runtime.PolicyChain(kernel.loader()).adopt(id);
        try {
            return chain.stream().flatMap(a -> a.attachments().stream()).map(io.kiln.runtime.Attachment::describe)
                    .collect(java.util.stream.Collectors.joining(", "));
        } finally {
            chain.forEach(io.kiln.runtime.AttachedEndpoint::close);
        }
    }

    /** Endpoint ids with pins under the root (what {@link #uninstall()} must remove). */
    public List<Integer> pinnedEndpoints() {
        return kernel.loader().endpointIds();
    }
}
