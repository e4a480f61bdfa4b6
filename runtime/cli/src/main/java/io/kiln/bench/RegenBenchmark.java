package io.kiln.bench;

import io.kiln.build.VariantBuilder;
import io.kiln.KilnException;
import io.kiln.agent.api.AgentClient;
import io.kiln.agent.api.AgentMetrics;
import io.kiln.agent.api.AgentStatus;
import io.kiln.agent.api.EndpointStatus;
import io.kiln.agent.plan.EndpointPlan;
import io.kiln.agent.spec.SpecKind;
import io.kiln.agent.spec.TemplateCatalog;
import io.kiln.bpf.BpfMap;
import io.kiln.bpf.Features;
import io.kiln.compile.Clang;
import io.kiln.compile.ClangCompiler;
import io.kiln.demo.Cleanup;
import io.kiln.demo.SpecFiles;
import io.kiln.demo.TemporaryAgent;
import io.kiln.runtime.AttachMode;
import io.kiln.host.Netns;
import io.kiln.templates.EndpointBpf.PolicyMap;
import io.kiln.templates.EndpointDefines;
import io.kiln.host.NetInterface;
import io.kiln.template.BuildParameters;
import io.kiln.template.Constants;
import io.kiln.template.MapDecl;
import io.kiln.template.MapScope;
import io.kiln.template.Parameters;
import io.kiln.template.RenderedSource;
import io.kiln.template.Renderer;
import io.kiln.template.TemplateDescriptor;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code kiln bench regen}: N endpoints over four variants of the endpoint template
 * ({@code loadBalancing} × {@code policyMode}) brought from specs to attached programs by the agent,
 * against the same work done by clang and the kernel alone ({@link KernelFloor}: one clang run per
 * variant, one {@code bpftool prog loadall} per endpoint) and against the pre-templating way (one
 * clang run per endpoint); then rule changes applied as map writes, and the agent's memory.
 * Everything runs in a namespace, a pin root and folders of its own, removed at the end.
 */
public final class RegenBenchmark {
    /** The four variants: {@code loadBalancing} × {@code policyMode}. */
    static final List<Map<String, Object>> VARIANTS = List.of(
            Map.of("loadBalancing", true, "policyMode", "enforce"), Map.of("loadBalancing", true, "policyMode", "audit"),
            Map.of("loadBalancing", false, "policyMode", "enforce"), Map.of("loadBalancing", false, "policyMode", "audit"));
    private static final String TARGET_LABEL = "target";
    private static final int POLICY_UPDATES = 21;
    private static final Duration READY = Duration.ofMinutes(10);

    /**
     * @param endpoints     N
     * @param parallelism   the agent's parallelism, and the floor's
     * @param compileSample endpoints compiled one by one for the pre-templating figure; 0 or N: all of them
     * @param templates     the folder holding the endpoint template
     * @param clang         clang to use, or null for the one on PATH
     * @param mode          how the agent attaches tc programs
     */
    public record Options(int endpoints, int parallelism, int compileSample, Path templates, Path clang, String bpftool,
                          AttachMode mode) {
        public Options {
            if (endpoints < 1 || parallelism < 1 || compileSample < 0) {
                throw new IllegalArgumentException("endpoints and parallelism must be positive, the sample not negative");
            }
            Objects.requireNonNull(templates, "templates");
            Objects.requireNonNull(mode, "mode");
        }
    }

    /**
     * The figures. Seconds are wall time; {@code clangSecondsPerVariant} and {@code loadSecondsPerEndpoint}
     * are medians of the floor's single steps; {@code kilnObjectMillisMean} and {@code kilnLoadAttachMillisMean}
     * the agent's own per-endpoint phases (getting the object, waits for a compile included; specializing,
     * loading, attaching and recording); {@code kilnObjectMemoHits} the endpoints whose object came from the
     * agent's memo of variants; {@code compilePerEndpointSample} is the number of
     * endpoints the pre-templating figure was measured on ({@code compilePerEndpointSeconds} is
     * extrapolated to N when it is less than N).
     */
    public record Result(int endpoints, int variants, long clangRuns, double kilnSeconds, double floorSeconds,
                         double compilePerEndpointSeconds, int compilePerEndpointSample, double clangSecondsPerVariant,
                         double loadSecondsPerEndpoint, double kilnRegenerationMillisP50, double kilnObjectMillisMean,
                         long kilnObjectMemoHits,
                         double kilnLoadAttachMillisMean, double policyUpdateMillisP50, double policyUpdateMillisP99,
                         double policyUpdateInPlaceMillisP50, double policyUpdateInPlaceMillisP99,
                         double policyUpdateDirectoryMillisP50, int policyUpdates,
                         boolean policyUpdatesReloaded, double rssMiB, int parallelism, String attachMode) {
        public double overFloor() {
            return kilnSeconds / floorSeconds;
        }

        public double speedup() {
            return compilePerEndpointSeconds / kilnSeconds;
        }

        public boolean compileSampled() {
            return compilePerEndpointSample < endpoints;
        }
    }

    private final Options o;
    private final PrintWriter progress;
    private final TemplateDescriptor template;
    private final List<BuildParameters> variants = new ArrayList<>();

    private RegenBenchmark(Options o, PrintWriter progress) {
        this.o = o;
        this.progress = progress;
        this.template = TemplateCatalog.scan(List.of(o.templates())).find("endpoint").orElseThrow(
                () -> new IllegalArgumentException("no endpoint template under " + o.templates()));
        VARIANTS.forEach(v -> variants.add(Parameters.resolve(template, v)));
    }

    /** Runs the benchmark (root only); {@code progress} gets one line per phase. */
    public static Result run(Options o, PrintWriter progress) {
        return new RegenBenchmark(o, progress).run();
    }

    private Result run() {
        int n = o.endpoints();
        try (Cleanup cleanup = new Cleanup(progress)) {
            say("creating " + n + " veth pairs");
            RegenLab lab = RegenLab.create(n, variants.size());
            cleanup.add("delete the benchmark's namespace", lab::close);
            Map<String, NetInterface> interfaces = interfaces(lab);

            ClangCompiler clang = new ClangCompiler(Clang.locate(o.clang()), VariantBuilder.DEFAULT_CLANG_TIMEOUT);
            List<RenderedSource> sources = variants.stream().map(v -> new Renderer().render(template, v)).toList();
            say("compiling the " + sources.size() + " variants once for the floor's objects (not timed; warms clang)");
            List<byte[]> objects = sources.stream().map(s -> clang.compile(s).object()).toList();

            // ---- Kiln: specs in, N endpoints attached ----
            TemporaryAgent agent = TemporaryAgent.create("bench-regen", TemplateCatalog.scan(List.of(o.templates())),
                    o.parallelism(), o.mode(), true);
            cleanup.add("remove the agent's programs, pins and folders", agent::uninstall);
            cleanup.add("stop the agent", agent::close);
            writeSpecs(agent.specs(), lab, 10_000);
            say("kiln: starting the agent on " + n + " endpoint specs");
            long t0 = System.nanoTime();
            agent.start();
            AgentStatus up = agent.await(s -> s.ready() == n && s.node() == EndpointStatus.State.READY, READY,
                    "bring up " + n + " endpoints");
            double kilnSeconds = (System.nanoTime() - t0) / 1e9;
            double rss = rssMiB();
            double objectMillis = phaseMeanMillis(agent, "object");
            double loadAttachMillis = phaseMeanMillis(agent, "load_attach");
            long clangRuns = agent.objects().clangRuns();
            long memoHits = agent.objects().memoHits();
            double regenP50 = percentile(up.endpoints().stream().mapToDouble(e -> e.lastRegenerationMillis()).toArray(), 50);
            say(String.format("kiln: %d endpoints ready in %.2f s, %d clang runs", n, kilnSeconds, clangRuns));
            double[] policyMillis = new double[POLICY_UPDATES];
            double[] inPlaceMillis = new double[POLICY_UPDATES];
            double[] directoryMillis = new double[POLICY_UPDATES];
            boolean reloaded = policyUpdates(agent, policyMillis, inPlaceMillis, directoryMillis);
            Map<Integer, Map<String, byte[]>> constants = constants(agent, interfaces);
            cleanup.runAll(); // the floor needs neither the agent nor the interfaces
            say("kiln: agent stopped, endpoints detached, namespace deleted");

            // ---- the floor and the pre-templating way ----
            try (Cleanup floorCleanup = new Cleanup(progress)) {
                Path work = Files.createTempDirectory("kiln-bench-regen-objects");
                floorCleanup.add("delete the floor's objects", () -> KernelFloor.deleteTree(work));
                Path pins = Path.of("/sys/fs/bpf/kiln-bench-regen-floor-" + Long.toHexString(System.nanoTime() & 0xffffff));
                floorCleanup.add("delete the floor's pins", () -> KernelFloor.deleteTree(pins));
                List<KernelFloor.Load> loads = patchedObjects(work, objects, constants, lab.seats());
                Files.createDirectories(pins.resolve("loads"));
                Map<String, Path> nodeMaps = KernelFloor.pinNodeMaps(o.bpftool(), loads.get(0).object(),
                        pins.resolve("node"), nodeMapNames());
                KernelFloor floor = new KernelFloor(clang, o.bpftool(), pins.resolve("loads"), nodeMaps, o.parallelism());
                say("floor: " + sources.size() + " clang runs and " + n + " bpftool loads");
                KernelFloor.Result f = floor.run(sources, loads, false);
                say(String.format("floor: %.2f s", f.seconds()));
                int sample = o.compileSample() == 0 ? n : Math.min(n, o.compileSample());
                Files.createDirectories(pins.resolve("loads"));
                say("pre-templating: " + sample + " clang runs and bpftool loads, one per endpoint");
                KernelFloor.Result c = floor.run(sources, loads.subList(0, sample), true);
                double compileSeconds = c.seconds() * n / sample;
                say(String.format("pre-templating: %.2f s%s", c.seconds(), sample < n ? " for " + sample : ""));
                return new Result(n, variants.size(), clangRuns, kilnSeconds, f.seconds(), compileSeconds, sample,
                        median(f.clangSeconds()), median(f.loadSeconds()), regenP50, objectMillis, memoHits, loadAttachMillis,
                        percentile(policyMillis, 50), percentile(policyMillis, 99), percentile(inPlaceMillis, 50),
                        percentile(inPlaceMillis, 99), percentile(directoryMillis, 50),
                        POLICY_UPDATES, reloaded, rss,
                        o.parallelism(), attachMode(o.mode()));
            }
        } catch (IOException e) {
            throw new KilnException("bench regen: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw e instanceof KilnException ? e : new KilnException("bench regen: " + e.getMessage(), e);
        }
    }

    private void writeSpecs(SpecFiles specs, RegenLab lab, int targetPort) {
        for (RegenLab.Seat s : lab.seats()) {
            Map<String, String> labels = new TreeMap<>(Map.of("bench", "regen", "slot", "s" + s.variant()));
            if (s.id() == 1) {
                labels.put(TARGET_LABEL, "t1");
            }
            specs.write("endpoints", "e" + s.id(), SpecFiles.endpoint(s.id(), s.ifname(), lab.namespace(), s.ipv4(),
                    mac(s.id()), labels, VARIANTS.get(s.variant()), Map.of("GATEWAY_IPV4", "198.18.0.1")));
        }
        specs.write("policies", "base", "name: base\nendpointSelector: { matchLabels: { bench: regen } }\n"
                + "ingress:\n  - fromEndpoints: [ { matchLabels: { bench: regen } } ]\n"
                + "    toPorts: [ { port: 80, protocol: TCP } ]\n");
        writeTargetPolicy(specs, targetPort);
    }

    private static void writeTargetPolicy(SpecFiles specs, int port) {
        specs.write("policies", "target", targetPolicy("target", port));
    }

    private static String targetPolicy(String name, int port) {
        return "name: " + name + "\nendpointSelector: { matchLabels: { " + TARGET_LABEL + ": t1 } }\n"
                + "ingress:\n  - fromEndpoints: [ { matchLabels: { bench: regen } } ]\n"
                + "    toPorts: [ { port: " + port + ", protocol: TCP } ]\n";
    }

    /**
     * Changes a rule of endpoint 1 {@code POLICY_UPDATES} times through the API, then as many times
     * through its spec file, each time timing from the change to the new entry in its pinned policy
     * map (for the API: to both the answer and the entry, {@code apiMillis}, and to the entry alone,
     * seen by a second thread polling from the request on, {@code inPlaceMillis}); true if any of it
     * reloaded a program.
     */
    private boolean policyUpdates(TemporaryAgent agent, double[] apiMillis, double[] inPlaceMillis,
                                  double[] directoryMillis) {
        say("policy: " + apiMillis.length + " rule changes on endpoint 1 through the API, " + directoryMillis.length
                + " through its spec file");
        Map<String, Integer> programsBefore = agent.programIds(1);
        long reloadsBefore = reloads(agent);
        int peer = agent.endpoint(Math.min(2, o.endpoints())).orElseThrow().identity();
        AgentClient client = agent.client();
        try (BpfMap policy = BpfMap.openPinned(agent.pins().endpointMap(1, PolicyMap.NAME))) {
            // one change of each kind first, not timed: the first HTTP request and code paths warm up
            timeUntilPresent(policy, peer, 20_000, () -> client.apply(SpecKind.POLICY, targetPolicy("target-api",
                    20_000)), agent);
            timeUntilPresent(policy, peer, 10_000 + 500, () -> writeTargetPolicy(agent.specs(), 10_500), agent);
            for (int i = 0; i < apiMillis.length; i++) {
                int port = 20_001 + i;
                double[] t = timeAnswerAndEntry(policy, peer, port, () -> client.apply(SpecKind.POLICY,
                        targetPolicy("target-api", port)), agent);
                apiMillis[i] = t[0];
                inPlaceMillis[i] = t[1];
            }
            for (int i = 0; i < directoryMillis.length; i++) {
                int port = 10_001 + i;
                directoryMillis[i] = timeUntilPresent(policy, peer, port, () -> writeTargetPolicy(agent.specs(), port),
                        agent);
            }
        }
        agent.await(s -> true, Duration.ofSeconds(30), "settle after the rule changes");
        return reloads(agent) != reloadsBefore || !programsBefore.equals(agent.programIds(1));
    }

    /** How often the second thread of {@link #timeAnswerAndEntry} looks the entry up: its resolution. */
    private static final long IN_PLACE_POLL_NANOS = 200_000;

    /** Milliseconds from {@code change} to the entry {peer, port, TCP, ingress} in the map (polled every 20 µs after {@code change} returned). */
    private static double timeUntilPresent(BpfMap policy, int peer, int port, Runnable change, TemporaryAgent agent) {
        byte[] key = key(peer, port);
        long t0 = System.nanoTime();
        change.run();
        awaitEntry(policy, key, port, t0, agent, 20_000);
        return (System.nanoTime() - t0) / 1e6;
    }

    /**
     * Milliseconds from the request {@code change} makes to both its answer and the entry in the map,
     * and to the entry alone: a second thread polls the map every {@link #IN_PLACE_POLL_NANOS} from the
     * request on (the API answers once the spec is stored, which may be after the entry is in place).
     * Polling every 20 µs during the request took enough of the two cores to slow the agent itself.
     */
    private static double[] timeAnswerAndEntry(BpfMap policy, int peer, int port, Runnable change,
                                               TemporaryAgent agent) {
        byte[] key = key(peer, port);
        long[] inPlaceAt = new long[1];
        RuntimeException[] failed = new RuntimeException[1];
        long t0 = System.nanoTime();
        Thread poller = new Thread(() -> {
            try {
                awaitEntry(policy, key, port, t0, agent, IN_PLACE_POLL_NANOS);
                inPlaceAt[0] = System.nanoTime();
            } catch (RuntimeException e) {
                failed[0] = e;
            }
        }, "bench-policy-poll");
        poller.start();
        change.run();
        long answeredAt = System.nanoTime();
        try {
            poller.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        if (failed[0] != null) {
            throw failed[0];
        }
        return new double[] {(Math.max(answeredAt, inPlaceAt[0]) - t0) / 1e6, (inPlaceAt[0] - t0) / 1e6};
    }

    private static byte[] key(int peer, int port) {
        return PolicyMap.Key.builder().identity(peer).dport(port).proto(6).dir(EndpointDefines.DIR_INGRESS).build()
                .toBytes();
    }

    private static void awaitEntry(BpfMap policy, byte[] key, int port, long t0, TemporaryAgent agent,
                                   long pollNanos) {
        long deadline = t0 + Duration.ofSeconds(30).toNanos();
        while (policy.lookup(key).isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("rule change (port " + port + ") not applied within 30 s; "
                        + TemporaryAgent.describe(agent.status()));
            }
            LockSupport.parkNanos(pollNanos);
        }
    }

    /** The mean of one phase of the agent's regenerations (its {@code kiln_regeneration_phase_seconds}), in ms. */
    static double phaseMeanMillis(TemporaryAgent agent, String phase) {
        var m = agent.kernelMetrics();
        double sum = m.sum("kiln_regeneration_phase_seconds_sum", Map.of("phase", phase));
        double count = m.sum("kiln_regeneration_phase_seconds_count", Map.of("phase", phase));
        return count == 0 ? -1 : sum / count * 1000;
    }

    /** Regenerations that loaded programs, of every kind, so far. */
    private static long reloads(TemporaryAgent agent) {
        var r = agent.agent().reconciler();
        return (long) (r.sum(AgentMetrics.REGENERATIONS, Map.of())
                - r.sum(AgentMetrics.REGENERATIONS, Map.of("kind", "STATE_ONLY")));
    }

    /** Each endpoint's constants as the agent loaded them: its plan's, plus the interface's ifindex and MAC. */
    private Map<Integer, Map<String, byte[]>> constants(TemporaryAgent agent, Map<String, NetInterface> interfaces) {
        Map<Integer, Map<String, byte[]>> out = new TreeMap<>();
        for (EndpointPlan p : agent.agent().plan().endpoints().values()) {
            Map<String, Object> values = new TreeMap<>(p.constants());
            NetInterface nif = interfaces.get(p.interfaceName());
            values.put("ENDPOINT_IFINDEX", (long) nif.ifindex());
            values.put("NODE_MAC", nif.mac());
            out.put(p.id(), Constants.encodeAll(template, values));
        }
        return out;
    }

    private static List<KernelFloor.Load> patchedObjects(Path dir, List<byte[]> objects,
                                                         Map<Integer, Map<String, byte[]>> constants,
                                                         List<RegenLab.Seat> seats) throws IOException {
        List<KernelFloor.Load> loads = new ArrayList<>();
        for (RegenLab.Seat s : seats) {
            Path file = dir.resolve("e" + s.id() + ".o");
            Files.write(file, RodataPatch.apply(objects.get(s.variant()), constants.get(s.id())));
            loads.add(new KernelFloor.Load(s.id(), s.variant(), file));
        }
        return loads;
    }

    private List<String> nodeMapNames() {
        return template.maps().stream().filter(m -> m.scope() == MapScope.NODE).map(MapDecl::name).toList();
    }

    private static Map<String, NetInterface> interfaces(RegenLab lab) {
        Map<String, NetInterface> out = new LinkedHashMap<>();
        Netns ns = Netns.named(lab.namespace());
        for (RegenLab.Seat s : lab.seats()) {
            out.put(s.ifname(), ns.findInterface(s.ifname()).orElseThrow());
        }
        return out;
    }

    private static String mac(int id) {
        return String.format("02:00:%02x:%02x:%02x:%02x", id >> 24 & 0xff, id >> 16 & 0xff, id >> 8 & 0xff, id & 0xff);
    }

    /** VmRSS of this process, in MiB. */
    static double rssMiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return -1;
    }

    static String attachMode(AttachMode mode) {
        return switch (mode) {
            case TCX -> "tcx";
            case LEGACY_TC -> "tc";
            case AUTO -> Features.tcxLinks() ? "tcx" : "tc";
        };
    }

    private void say(String line) {
        progress.println("kiln bench regen: " + line);
        progress.flush();
    }

    static double median(double[] s) {
        return percentile(s, 50);
    }

    static double percentile(double[] samples, double p) {
        if (samples.length == 0) {
            return 0;
        }
        double[] s = samples.clone();
        Arrays.sort(s);
        return s[Math.max(0, Math.min(s.length - 1, (int) Math.ceil(p / 100.0 * s.length) - 1))];
    }
}
