package io.kiln.agent.dataplane;

import io.kiln.host.Netns;

import io.kiln.agent.Agent;
import io.kiln.agent.api.AgentStatus;
import io.kiln.agent.api.EndpointStatus;
import io.kiln.agent.reconcile.ReconcilerOptions;
import io.kiln.agent.spec.TemplateCatalog;
import io.kiln.bpf.BpfMap;
import io.kiln.build.VariantBuilder;
import io.kiln.cache.ObjectCache;
import io.kiln.cache.ObjectStore;
import io.kiln.compile.Clang;
import io.kiln.compile.ClangCompiler;
import io.kiln.runtime.AttachedEndpoint;
import io.kiln.runtime.EndpointLoader;
import io.kiln.template.Renderer;
import io.kiln.testing.BpfLeakCheck;
import io.kiln.testing.KernelRequirements;
import io.kiln.lab.NetworkNamespace;
import io.kiln.lab.VethPair;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * A node for agent tests, made of namespaces the test owns: {@code node} holds the host side
 * {@code lxcN} of each endpoint's veth, endpoint N lives in its own namespace (eth0,
 * 198.18.0.(10+N)/24, MAC 02:00:00:00:01:0N, default route via 198.18.0.1), IPv6 off everywhere.
 * Pins go under /sys/fs/bpf/kiln-test-RANDOM, state and specs into the test's temp folder, and the
 * endpoint template is compiled from the checkout once per test JVM. {@link #close()} closes the
 * agents, uninstalls everything, deletes the namespaces and the pin root, then checks that every
 * program and map the test saw is gone.
 */
public final class AgentLab implements AutoCloseable {
    public static final String GATEWAY = "198.18.0.1";
    public static final Duration WAIT = Duration.ofSeconds(60);
    private static ObjectSources objects;

    public final Path pinRoot;
    public final Path stateDir;
    public final Path specDir;
    public final NetworkNamespace node;
    public final EchoServers servers = new EchoServers();
    private final Map<Integer, NetworkNamespace> endpoints = new TreeMap<>();
    private final List<AutoCloseable> agents = new ArrayList<>();
    private final Set<Integer> programsSeen = new TreeSet<>();
    /** A dataplane of this lab took the run's attach mode ({@link #dataplane()}), so {@link #awaitReady} checks it. */
    private volatile boolean runMode;

    private AgentLab(Path tmp) {
        this.pinRoot = Path.of("/sys/fs/bpf/kiln-test-" + UUID.randomUUID().toString().substring(0, 8));
        this.stateDir = tmp.resolve("state");
        this.specDir = tmp.resolve("specs");
        this.node = namespace("node");
    }

    /** Skips (or fails under KILN_REQUIRE_KERNEL=1) without root, BPF, ip, bpftool or clang. */
    public static AgentLab create(Path tmp, int... endpointIds) throws Exception {
        KernelRequirements.assumeKernel();
        KernelRequirements.assumeTools("ip", "bpftool", "clang");
        AgentLab lab = new AgentLab(tmp);
        try {
            for (String kind : List.of("endpoints", "policies", "services")) {
                Files.createDirectories(lab.specDir.resolve(kind));
            }
            for (int id : endpointIds) {
                lab.addEndpoint(id);
            }
            return lab;
        } catch (Exception | Error e) {
            lab.close();
            throw e;
        }
    }

    private NetworkNamespace namespace(String prefix) {
        NetworkNamespace ns = NetworkNamespace.create(prefix);
        try {
            ns.run(() -> { // /proc/sys/net shows the namespace of the thread that opens it
                for (String scope : new String[] {"all", "default"}) {
                    Files.writeString(Path.of("/proc/sys/net/ipv6/conf/" + scope + "/disable_ipv6"), "1");
                }
            });
        } catch (Exception e) {
            ns.close();
            throw new IllegalStateException(ns + ": cannot turn IPv6 off: " + e, e);
        }
        return ns;
    }

    private void addEndpoint(int id) {
        NetworkNamespace ns = namespace("ep" + id);
        endpoints.put(id, ns);
        VethPair pair = VethPair.create(node, hostIf(id), ns, "eth0");
        node.ip("link", "set", hostIf(id), "address", String.format("02:00:00:00:02:%02x", id));
        ns.ip("link", "set", "eth0", "address", mac(id));
        pair.b().addAddress(ip(id) + "/24");
        ns.ip("route", "add", "default", "via", GATEWAY, "dev", "eth0");
    }

    public NetworkNamespace ns(int id) {
        return endpoints.get(id);
    }

    public static String hostIf(int id) {
        return "lxc" + id;
    }

    public static String ip(int id) {
        return "198.18.0." + (10 + id);
    }

    public static String mac(int id) {
        return String.format("02:00:00:00:01:%02x", id);
    }

    /** The spec of endpoint {@code id} on this node, with {@code labels} as a YAML flow map. */
    public String endpointYaml(int id, String labels) {
        return "id: " + id + "\n"
                + "interface: " + hostIf(id) + "\n"
                + "namespace: " + node.name() + "\n"
                + "template: endpoint\n"
                + "constants: { GATEWAY_IPV4: " + GATEWAY + " }\n"
                + "addresses: { ipv4: " + ip(id) + " }\n"
                + "mac: \"" + mac(id) + "\"\n"
                + "labels: " + labels + "\n";
    }

    /** Writes {@code specs/KIND/FILE}. */
    public void writeSpec(String kind, String file, String yaml) throws IOException {
        Files.writeString(specDir.resolve(kind).resolve(file), yaml);
    }

    /** The system property that forces an attach mode on a whole test run: {@code -Dkiln.test.attach=LEGACY_TC}. */
    public static final String ATTACH_PROPERTY = "kiln.test.attach";

    /**
     * The attach mode of this test run: {@code -Dkiln.test.attach} (or {@code KILN_TEST_ATTACH}) = TCX, LEGACY_TC
     * or AUTO, default AUTO. it/'s second surefire execution sets LEGACY_TC, so the agent's traffic, swap and
     * restart tests also run on the legacy tc path, as on a kernel without tcx (docs/testing.md).
     */
    public static io.kiln.runtime.AttachMode attachMode() {
        String v = System.getProperty(ATTACH_PROPERTY, System.getenv().getOrDefault("KILN_TEST_ATTACH", ""));
        if (v.isBlank()) {
            return io.kiln.runtime.AttachMode.AUTO;
        }
        try {
            return io.kiln.runtime.AttachMode.valueOf(v.strip().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(ATTACH_PROPERTY + "=" + v + ": expected AUTO, TCX or LEGACY_TC");
        }
    }

    /** {@code --attach MODE} for a {@code kiln agent} command line when the run forces a mode, else nothing. */
    public static List<String> attachArgs() {
        return attachMode() == io.kiln.runtime.AttachMode.AUTO ? List.of() : List.of("--attach", attachMode().name());
    }

    /**
     * When the run forces a mode, fails unless every tc hook of these endpoints (state under {@code stateDir}) is
     * attached that way: a forced run that silently ran on tcx would prove nothing.
     */
    public static void assertAttachedAsForced(Path pinRoot, Path stateDir, int... ids) {
        io.kiln.runtime.AttachMode mode = attachMode();
        if (mode == io.kiln.runtime.AttachMode.AUTO) {
            return;
        }
        io.kiln.runtime.Attachment.Kind want = mode == io.kiln.runtime.AttachMode.TCX
                ? io.kiln.runtime.Attachment.Kind.TCX_LINK : io.kiln.runtime.Attachment.Kind.TC_FILTER;
        EndpointLoader d = EndpointLoader.builder().pinRoot(pinRoot).stateDir(stateDir.resolve("endpoints")).build();
        for (int id : ids) {
            try (AttachedEndpoint a = d.adopt(id)) {
                for (io.kiln.runtime.Attachment at : a.attachments()) {
                    if (at.kind() != io.kiln.runtime.Attachment.Kind.XDP_LINK && at.kind() != want) {
                        throw new AssertionError("endpoint " + id + " is attached with " + at.kind() + ", but this run"
                                + " forces " + ATTACH_PROPERTY + "=" + mode + ": " + a.attachments());
                    }
                }
            }
        }
    }

    public static synchronized ObjectSources objects() {
        if (objects == null) {
            Path store = Path.of("target", "kiln-test-store").toAbsolutePath();
            ObjectCache cache = new ObjectCache(new ClangCompiler(Clang.locate(null), Duration.ofSeconds(120)),
                    new ObjectStore(store, 256L << 20));
            objects = ObjectSources.builder().compiler(new VariantBuilder(new Renderer(), cache)).build();
        }
        return objects;
    }

    public static TemplateCatalog catalog() {
        String home = System.getProperty("kiln.home", "..");
        return TemplateCatalog.scan(List.of(Path.of(home, "bpf-templates", "src", "main", "bpf")));
    }

    /** A new kernel dataplane over this node's pins and state, as a new agent process would make it. */
    public KernelDataplane dataplane() {
        runMode = true;
        return KernelDataplane.builder().pinRoot(pinRoot).stateDirectory(stateDir).objects(objects())
                .templates(catalog()::find).attachMode(attachMode()).build();
    }

    /** {@link #dataplane()} with the node namespace where specs that name none have their interfaces (Pods). */
    public KernelDataplane dataplaneInNodeNamespace() {
        runMode = true;
        return KernelDataplane.builder().pinRoot(pinRoot).stateDirectory(stateDir).objects(objects())
                .templates(catalog()::find).nodeNamespace(io.kiln.host.Netns.named(node.name()))
                .attachMode(attachMode()).build();
    }

    /** An agent over a new dataplane, quick to retry, without sources (nor its API) yet; {@link #start} starts it. */
    public Agent.Builder agent(KernelDataplane dp) {
        return Agent.builder().catalog(catalog()).dataplane(dp).metrics(dp.metrics()).stateDirectory(stateDir)
                .api(false).reconcilerOptions(new ReconcilerOptions(2, Duration.ofMillis(100), Duration.ofSeconds(1),
                        Clock.systemUTC()));
    }

    public Agent start(Agent.Builder b) {
        Agent a = b.build();
        agents.add(a);
        return a.start();
    }

    /**
     * Starts an agent with its API and DNS learning ({@code options}, the learner in the node namespace) on the spec
     * directory, waits until these endpoints are ready and the learner reads its ring, then for a heartbeat or two.
     */
    public Agent startDnsLearning(io.kiln.agent.fqdn.DnsLearner.Options options, int... ids) throws Exception {
        Agent agent = start(agent(dataplane()).specDirectory(specDir, Duration.ofSeconds(2)).api(true)
                .dnsLearning(options, Netns.named(node.name())));
        awaitReady(agent, ids);
        eventually("the DNS learner reads the ring", () -> agent.dnsLearner().orElseThrow().reading(),
                () -> String.valueOf(agent.dnsLearner().orElseThrow().lastError()));
        Thread.sleep(300); // a heartbeat or two
        return agent;
    }

    /** Waits until these endpoints are ready and nothing is in flight; returns the status. */
    public AgentStatus awaitReady(Agent a, int... ids) throws Exception {
        eventually("endpoints " + java.util.Arrays.toString(ids) + " ready", () -> {
            AgentStatus st = a.reconciler().status();
            for (int id : ids) {
                if (st.endpoints().stream().noneMatch(e -> e.id() == id && e.state() == EndpointStatus.State.READY)) {
                    return false;
                }
            }
            return true;
        }, () -> a.reconciler().status().toString());
        if (!a.reconciler().awaitSettled(WAIT)) {
            throw new AssertionError("the agent did not settle: " + a.reconciler().status());
        }
        AgentStatus st = a.reconciler().status();
        st.endpoints().forEach(e -> programsSeen.addAll(e.programIds().values()));
        if (runMode) { // a test that picks its own mode (ChainAgentKernelTest's parameter) keeps it
            assertAttachedAsForced(pinRoot, stateDir, ids);
        }
        return st;
    }

    public static EndpointStatus endpoint(AgentStatus st, int id) {
        return st.endpoints().stream().filter(e -> e.id() == id).findFirst()
                .orElseThrow(() -> new AssertionError("no endpoint " + id + " in " + st));
    }

    /** True when every hook of endpoint {@code id} runs the program Kiln attached (asks the kernel). */
    /** Records program ids seen elsewhere (another process's agent), so that {@link #close()} checks they are gone. */
    public void recordPrograms(java.util.Collection<Integer> ids) {
        programsSeen.addAll(ids);
    }

    public boolean hooksIntact(int id) {
        EndpointLoader d = EndpointLoader.builder().pinRoot(pinRoot).stateDir(stateDir.resolve("endpoints")).build();
        try (AttachedEndpoint a = d.adopt(id)) {
            return a.isIntact();
        }
    }

    /** Polls {@code condition} every 50 ms for at most {@link #WAIT}. */
    public static void eventually(String what, Callable<Boolean> condition, Callable<String> state) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + WAIT + ": " + what + "; now: " + state.call());
            }
            Thread.sleep(50);
        }
    }

    @Override
    public void close() throws Exception {
        List<Throwable> failures = new ArrayList<>();
        for (AutoCloseable a : agents) {
            run(a::close, failures);
        }
        run(servers::close, failures);
        Set<Integer> maps = new TreeSet<>();
        run(() -> maps.addAll(pinnedMapIds()), failures);
        run(() -> EndpointLoader.builder().pinRoot(pinRoot).stateDir(stateDir.resolve("endpoints")).build().uninstall(),
                failures);
        for (NetworkNamespace ns : endpoints.values()) {
            run(ns::close, failures);
        }
        run(node::close, failures);
        run(() -> deleteTree(pinRoot), failures);
        run(() -> BpfLeakCheck.assertGone(programsSeen, maps, BpfLeakCheck.SETTLE), failures);
        if (!failures.isEmpty()) {
            Throwable first = failures.get(0);
            failures.subList(1, failures.size()).forEach(first::addSuppressed);
            if (first instanceof Exception e) {
                throw e;
            }
            throw (Error) first;
        }
    }

    private Set<Integer> pinnedMapIds() throws IOException {
        Set<Integer> ids = new TreeSet<>();
        if (!Files.exists(pinRoot)) {
            return ids;
        }
        try (Stream<Path> walk = Files.walk(pinRoot)) {
            for (Path p : walk.filter(Files::isRegularFile).filter(p -> !p.getParent().endsWith("links")).toList()) {
                try (BpfMap m = BpfMap.openPinned(p)) {
                    ids.add(m.id());
                } catch (RuntimeException notAMap) {
                    // a link pin
                }
            }
        }
        return ids;
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    private static void run(Step s, List<Throwable> failures) {
        try {
            s.run();
        } catch (Throwable t) {
            failures.add(t);
        }
    }
}
