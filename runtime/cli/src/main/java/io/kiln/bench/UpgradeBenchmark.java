package io.kiln.bench;

import io.kiln.bpf.BpfMap;
import io.kiln.bpf.Features;
import io.kiln.runtime.AttachMode;
import io.kiln.runtime.Attachment;
import io.kiln.runtime.AttachedEndpoint;
import io.kiln.runtime.Endpoint;
import io.kiln.runtime.EndpointLoader;
import io.kiln.runtime.MigratedMap;
import io.kiln.runtime.TemplateObject;
import io.kiln.templates.EndpointBpf.PolicyMap;
import io.kiln.templates.EndpointDefines;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Map migration under traffic, with the endpoint template: the endpoint's programs run variant A;
 * its policy map and the node's conntrack map hold {@code entries} entries each (besides what the
 * traffic makes). Each round swaps A to A (a plain swap: same maps), then A to B and B back to A
 * (B doubles {@code policySize} and {@code ctSize}: both maps migrate into new ones), while a
 * {@link DisruptionProbe} runs TCP connections and a numbered UDP flow from the endpoint to the
 * host side through the programs. Reports each migration's time per 10,000 entries and the
 * longest gaps of the plain and the migrating swaps, measured in the same run.
 */
public final class UpgradeBenchmark {
    public static final int ENDPOINT_ID = 4003;
    private static final int TCP = 47_100;
    private static final int UDP = 47_101;
    private static final Duration LIMIT = Duration.ofMinutes(10);

    /**
     * One swap: its kind, time, the gaps it caused, the maps it migrated (name, entries, ms), and
     * where its time went ({@link io.kiln.runtime.SpecializedEndpoint#phaseNanos()}, in ms).
     */
    public record Swap(String kind, double millis, DisruptionProbe.Window window, List<MigratedMap> migrated,
                       Map<String, Double> phasesMillis, long startUptimeMillis) {
    }

    public record Result(int entries, List<Swap> swaps, DisruptionProbe.Result traffic, AttachMode mode,
                         List<Step> steps) {
        /** Median over the migrating swaps of {@code map}'s migration time scaled to 10,000 entries. */
        public double migrationMillisPer10k(String map) {
            double[] v = swaps.stream().flatMap(s -> s.migrated().stream()).filter(m -> m.map().equals(map))
                    .mapToDouble(m -> m.nanos() / 1e6 * 10_000 / Math.max(1, m.entries())).toArray();
            return SwapBenchmark.percentile(v, 50);
        }

        /** Entries the migrations of {@code map} copied (the first one's). */
        public int migratedEntries(String map) {
            return swaps.stream().flatMap(s -> s.migrated().stream()).filter(m -> m.map().equals(map))
                    .mapToInt(MigratedMap::entries).findFirst().orElse(0);
        }

        public double longest(String kind, boolean tcp) {
            return swaps.stream().filter(s -> s.kind().equals(kind))
                    .mapToDouble(s -> tcp ? s.window().tcpGapMillis() : s.window().udpGapMillis()).max().orElse(0);
        }

        public double swapMillisP50(String kind) {
            return SwapBenchmark.percentile(swaps.stream().filter(s -> s.kind().equals(kind))
                    .mapToDouble(Swap::millis).toArray(), 50);
        }

        /** The median of each phase over the swaps of {@code kind}, in ms, in the phases' order. */
        public Map<String, Double> phasesMillisP50(String kind) {
            Map<String, Double> out = new java.util.LinkedHashMap<>();
            swaps.stream().filter(s -> s.kind().equals(kind)).flatMap(s -> s.phasesMillis().keySet().stream())
                    .distinct().forEach(phase -> out.put(phase, SwapBenchmark.percentile(swaps.stream()
                            .filter(s -> s.kind().equals(kind))
                            .mapToDouble(s -> s.phasesMillis().getOrDefault(phase, 0.0)).toArray(), 50)));
            return out;
        }

        public long failed() {
            return swaps.stream().mapToLong(s -> s.window().failed()).sum();
        }
    }

    private UpgradeBenchmark() {
    }

    /**
     * {@link #run(BenchLab, TemplateObject, TemplateObject, TemplateObject, Map, int, int, int, int, AttachMode,
     * java.io.PrintWriter)} without the layout downgrade step.
     */
    public static Result run(BenchLab lab, TemplateObject a, TemplateObject b, Map<String, byte[]> constants,
                             int entries, int rounds, int connections, int udpRate, AttachMode mode,
                             java.io.PrintWriter progress) {
        return run(lab, a, b, null, constants, entries, rounds, connections, udpRate, mode, 0, progress);
    }

    /**
     * The rounds above, then the disruption steps, each under a probe of its own: a restart (this
     * process's handles dropped as a SIGKILL drops them, a new loader adopts from pins and state file),
     * the tc hooks moved to the other kind and back ({@link EndpointLoader#moveTcHooks}, where the kernel
     * has tcx), and, given {@code older} (variant A's template with the conntrack value of an older
     * layout), a swap to it (the conntrack map migrates down) and back to A (up again). With
     * {@code busyMillis > 0} each round also has a control window of kind "busy": no swap, one thread of
     * this process spinning on the CPU for that long, as the work of a migrating swap (map creation,
     * copy, catch-up) keeps one thread busy. Its gaps tell how much of a migrating swap's gap the probe's
     * own threads waiting for the CPU explain.
     */
    public static Result run(BenchLab lab, TemplateObject a, TemplateObject b, TemplateObject older,
                             Map<String, byte[]> constants, int entries, int rounds, int connections, int udpRate,
                             AttachMode mode, int busyMillis, java.io.PrintWriter progress) {
        EndpointLoader loader = lab.loader(mode);
        Endpoint endpoint = new Endpoint(ENDPOINT_ID, BenchLab.HOST_IF, constants, lab.hostNs());
        List<Swap> swaps = new ArrayList<>();
        List<Step> steps = new ArrayList<>();
        DisruptionProbe.Result traffic;
        long deadline = System.nanoTime() + LIMIT.toNanos();
        AttachedEndpoint[] current = {loader.attach(a, endpoint)};
        try {
            AttachedEndpoint attached = current[0];
            Conventions.allowAll(attached);
            fill(attached, lab, entries);
            try (DisruptionProbe probe = DisruptionProbe.start(lab.endpointNs(), lab.hostNs(), BenchLab.HOST_ADDR, TCP,
                    UDP, connections, Duration.ofMillis(50), udpRate, LIMIT)) {
                sleep(500);
                for (int r = 0; r < rounds && System.nanoTime() < deadline; r++) {
                    List<Swap> round = new ArrayList<>(List.of(swap(loader, attached, a, endpoint, probe, "plain"),
                            swap(loader, attached, b, endpoint, probe, "migrating"),
                            swap(loader, attached, a, endpoint, probe, "migrating")));
                    if (busyMillis > 0) {
                        round.add(busy(probe, busyMillis));
                        round.add(createMaps(probe, attached));
                    }
                    for (Swap s : round) {
                        swaps.add(s);
                        progress.printf("kiln bench upgrade: %s swap at JVM uptime %.3f s, %.1f ms, gaps TCP %.1f ms"
                                + " UDP %.1f ms, phases (ms) %s%n", s.kind(), s.startUptimeMillis() / 1e3, s.millis(),
                                s.window().tcpGapMillis(), s.window().udpGapMillis(), rounded(s.phasesMillis()));
                    }
                    progress.printf("kiln bench upgrade: round %d of %d done%n", r + 1, rounds);
                    progress.flush();
                }
                traffic = probe.stop();
            }
            int port = TCP + 2;
            steps.add(step(lab, a, port, connections, udpRate, "restart: handles dropped as by SIGKILL, adopted", () -> {
                current[0].close();
                current[0] = lab.loader(mode).adopt(ENDPOINT_ID);
                if (!current[0].isIntact()) {
                    throw new IllegalStateException("endpoint " + ENDPOINT_ID + ": a hook lost its program: "
                            + current[0].status());
                }
            }));
            if (Features.tcxLinks()) {
                Attachment.Kind first = tcKind(current[0]);
                AttachMode other = first == Attachment.Kind.TCX_LINK ? AttachMode.LEGACY_TC : AttachMode.TCX;
                AttachMode back = first == Attachment.Kind.TCX_LINK ? AttachMode.TCX : AttachMode.LEGACY_TC;
                for (AttachMode to : List.of(other, back)) {
                    port += 2;
                    String from = tcKind(current[0]).label();
                    steps.add(step(lab, a, port, connections, udpRate, "attach " + from + " -> "
                            + (to == AttachMode.TCX ? "tcx" : "tc"), () -> {
                        current[0].close();
                        EndpointLoader moving = lab.loader(to);
                        current[0] = moving.adopt(ENDPOINT_ID);
                        if (!moving.moveTcHooks(current[0])) {
                            throw new IllegalStateException("endpoint " + ENDPOINT_ID + ": nothing moved");
                        }
                    }));
                }
            }
            if (older != null) {
                port += 2;
                steps.add(step(lab, a, port, connections, udpRate, "conntrack value downgrade (older layout)",
                        () -> loader.swap(current[0], older, endpoint)));
                port += 2;
                steps.add(step(lab, a, port, connections, udpRate, "conntrack value upgrade (back)",
                        () -> loader.swap(current[0], a, endpoint)));
            }
            progress.printf("kiln bench upgrade: %d disruption steps done%n", steps.size());
            progress.flush();
            loader.detach(current[0]);
        } finally {
            current[0].close();
        }
        return new Result(entries, swaps, traffic, mode, steps);
    }

    /**
     * One disruption step: its name, time, and what a probe of its own saw (from 500 ms before it to
     * 500 ms after), and the entries and value size of the node's conntrack map after it (-1: unreadable).
     */
    public record Step(String name, double millis, DisruptionProbe.Result traffic, int conntrackEntries,
                       int conntrackValueSize, long tcpRetransmits, Map<String, Long> programDrops) {
    }

    private interface Action {
        void run();
    }

    private static Step step(BenchLab lab, TemplateObject a, int port, int connections, int udpRate, String name,
                             Action action) {
        try (DisruptionProbe probe = DisruptionProbe.start(lab.endpointNs(), lab.hostNs(), BenchLab.HOST_ADDR, port,
                port + 1, connections, Duration.ofMillis(50), udpRate, Duration.ofMinutes(2))) {
            sleep(500);
            probe.mark();
            long retransmits = retransmits(lab);
            Map<String, Long> drops = drops(lab, a);
            long t0 = System.nanoTime();
            action.run();
            double millis = (System.nanoTime() - t0) / 1e6;
            sleep(500);
            DisruptionProbe.Result r = probe.stop();
            retransmits = retransmits(lab) - retransmits;
            Map<String, Long> dropped = new java.util.TreeMap<>();
            Map<String, Long> before = drops;
            drops(lab, a).forEach((k, v) -> {
                long d = v - before.getOrDefault(k, 0L);
                if (d != 0) {
                    dropped.put(k, d);
                }
            });
            int ct;
            int valueSize;
            try (BpfMap m = BpfMap.openPinned(lab.pinRoot().resolve("node").resolve("conntrack"))) {
                ct = m.keys().size();
                valueSize = m.definition().valueSize();
            } catch (RuntimeException e) {
                ct = -1;
                valueSize = -1;
            }
            return new Step(name, millis, r, ct, valueSize, retransmits, dropped);
        }
    }

    /** TCP segments retransmitted in both namespaces so far ({@code RetransSegs} of /proc/net/snmp). */
    private static long retransmits(BenchLab lab) {
        long sum = 0;
        for (io.kiln.host.Netns ns : List.of(lab.endpointNs(), lab.hostNs())) {
            // thread-self: /proc/net follows the thread group leader's namespace, not this thread's
            List<String> lines = ns.call(() -> java.nio.file.Files.readAllLines(
                    java.nio.file.Path.of("/proc/thread-self/net/snmp")));
            for (int i = 0; i + 1 < lines.size(); i++) {
                if (lines.get(i).startsWith("Tcp:") && lines.get(i + 1).startsWith("Tcp:")) {
                    List<String> names = List.of(lines.get(i).trim().split("\\s+"));
                    String[] values = lines.get(i + 1).trim().split("\\s+");
                    int at = names.indexOf("RetransSegs");
                    if (at > 0) {
                        sum += Long.parseLong(values[at]);
                    }
                    break;
                }
            }
        }
        return sum;
    }

    /** The endpoint's drop counters by direction and reason (empty if the template has none). */
    private static Map<String, Long> drops(BenchLab lab, TemplateObject a) {
        Map<String, Long> out = new java.util.TreeMap<>();
        java.util.Optional<String> map = a.template().reasonCounters();
        if (map.isEmpty()) {
            return out;
        }
        java.nio.file.Path pin = lab.pinRoot().resolve("endpoints").resolve(Integer.toString(ENDPOINT_ID))
                .resolve(map.get());
        io.kiln.agent.dataplane.ReasonCounters.of(ENDPOINT_ID, a.template(), pin).ifPresent(c -> {
            for (io.kiln.agent.api.AgentMetrics.Drop d : c.read()) {
                out.merge(d.direction() + " " + d.reason(), d.packets(), Long::sum);
            }
        });
        return out;
    }

    private static Attachment.Kind tcKind(AttachedEndpoint a) {
        return a.attachments().stream().map(Attachment::kind).filter(k -> k != Attachment.Kind.XDP_LINK).findFirst()
                .orElse(Attachment.Kind.TCX_LINK);
    }

    /** The endpoint template's {@code struct ct_entry} as it was before flow counters (24 bytes). */
    public static final String CT_ENTRY_24 = """
            struct ct_entry {
            	__u64 expires;
            	__be32 nat_addr;
            	__be16 nat_port;
            	__u16 service_id;
            	__u16 endpoint_id;
            	__u8 tcp_flags;
            	__u8 pad[5];
            };
            KILN_ASSERT_SIZE(struct ct_entry, 24);""";

    /**
     * Copies the templates folder {@code bpf} (holding {@code endpoint/} and {@code include/kiln/}) to
     * {@code into} with {@code struct ct_entry} of {@value #CT_ENTRY_SIZE} bytes replaced by
     * {@link #CT_ENTRY_24}; returns the copy's endpoint template folder, or empty if conntrack.h has no
     * such struct. Build it with {@code flowEvents=off}: the flow counters are gone.
     */
    public static java.util.Optional<java.nio.file.Path> templatesBeforeFlowCounters(java.nio.file.Path bpf,
                                                                                    java.nio.file.Path into)
            throws java.io.IOException {
        java.nio.file.Path h = bpf.resolve("include/kiln/conntrack.h");
        if (!java.nio.file.Files.isRegularFile(h) || !java.nio.file.Files.isDirectory(bpf.resolve("endpoint"))) {
            return java.util.Optional.empty();
        }
        String text = java.nio.file.Files.readString(h);
        int from = text.indexOf("struct ct_entry {");
        String end = "KILN_ASSERT_SIZE(struct ct_entry, " + CT_ENTRY_SIZE + ");";
        int to = text.indexOf(end);
        if (from < 0 || to < from) {
            return java.util.Optional.empty();
        }
        try (java.util.stream.Stream<java.nio.file.Path> walk = java.nio.file.Files.walk(bpf)) {
            for (java.nio.file.Path p : walk.toList()) {
                java.nio.file.Path target = into.resolve(bpf.relativize(p).toString());
                if (java.nio.file.Files.isDirectory(p)) {
                    java.nio.file.Files.createDirectories(target);
                } else {
                    java.nio.file.Files.copy(p, target);
                }
            }
        }
        java.nio.file.Files.writeString(into.resolve("include/kiln/conntrack.h"),
                text.substring(0, from) + CT_ENTRY_24 + text.substring(to + end.length()));
        return java.util.Optional.of(into.resolve("endpoint"));
    }

    /** The size of today's {@code struct ct_entry}. */
    public static final int CT_ENTRY_SIZE = 72;

    private static Swap swap(EndpointLoader loader, AttachedEndpoint attached, TemplateObject object, Endpoint endpoint,
                             DisruptionProbe probe, String kind) {
        sleep(300);
        probe.snapshot(); // the window starts here
        long uptime = java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime();
        long t0 = System.nanoTime();
        loader.swap(attached, object, endpoint);
        double millis = (System.nanoTime() - t0) / 1e6;
        sleep(300); // a gap the swap caused ends within this
        List<MigratedMap> migrated = attached.specialized().map(s -> s.migratedMaps()).orElse(List.of());
        Map<String, Double> phases = new java.util.LinkedHashMap<>();
        attached.specialized().ifPresent(s -> s.phaseNanos().forEach((k, v) -> phases.put(k, v / 1e6)));
        return new Swap(kind, millis, probe.snapshot(), migrated, phases, uptime);
    }

    private static Swap busy(DisruptionProbe probe, int busyMillis) {
        sleep(300);
        probe.snapshot();
        long uptime = java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime();
        long t0 = System.nanoTime();
        long end = t0 + busyMillis * 1_000_000L;
        long x = 0;
        while (System.nanoTime() < end) {
            x += Long.numberOfTrailingZeros(x + 1); // work the JIT cannot drop: x is used below
        }
        double millis = (System.nanoTime() - t0) / 1e6;
        sleep(300);
        return new Swap("busy", millis + (x == 42 ? 1e-9 : 0), probe.snapshot(), List.of(), Map.of(), uptime);
    }

    /**
     * A control window of kind "create": no swap, but the kernel work of a migration's maps without
     * the copy: a conntrack and a policy map of twice the running ones' size are created (conntrack
     * is preallocated) and closed (the kernel frees them).
     */
    private static Swap createMaps(DisruptionProbe probe, AttachedEndpoint attached) {
        sleep(300);
        probe.snapshot();
        long uptime = java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime();
        long t0 = System.nanoTime();
        Map<String, Double> phases = new java.util.LinkedHashMap<>();
        for (String name : List.of("conntrack", "policy")) {
            io.kiln.bpf.MapDefinition d;
            try (BpfMap running = attached.openMap(name)) {
                d = running.definition();
            }
            long c0 = System.nanoTime();
            BpfMap made = BpfMap.create("kiln_ctl", new io.kiln.bpf.MapDefinition(d.type(), d.keySize(), d.valueSize(),
                    d.maxEntries() * 2, d.flags()));
            long c1 = System.nanoTime();
            made.close();
            phases.put(name + "_create", (c1 - c0) / 1e6);
            phases.put(name + "_close", (System.nanoTime() - c1) / 1e6);
        }
        double millis = (System.nanoTime() - t0) / 1e6;
        sleep(300);
        return new Swap("create", millis, probe.snapshot(), List.of(), phases, uptime);
    }

    /** {@code entries} allow entries for identities no packet has, and conntrack entries of flows that never run. */
    private static void fill(AttachedEndpoint attached, BenchLab lab, int entries) {
        try (BpfMap policy = attached.openMap("policy")) {
            for (int i = 0; i < entries; i++) {
                policy.update(PolicyMap.Key.builder().identity(1_000_000L + i).dport(80).proto(6)
                        .dir(EndpointDefines.DIR_INGRESS).build().toBytes(),
                        new PolicyMap.Value(EndpointDefines.POLICY_ALLOW).toBytes());
            }
        }
        try (BpfMap ct = attached.openMap("conntrack")) {
            int valueSize = ct.definition().valueSize();
            for (int i = 0; i < entries; i++) {
                byte[] key = ByteBuffer.allocate(ct.definition().keySize()).order(ByteOrder.BIG_ENDIAN)
                        .putInt(0xc6130000 | (i & 0xffff)).putInt(0xc6120002).putShort((short) (1024 + i / 65536))
                        .putShort((short) 80).put((byte) 6).array();
                byte[] value = ByteBuffer.allocate(valueSize).order(ByteOrder.nativeOrder()).putLong(Long.MAX_VALUE / 2)
                        .array();
                ct.update(key, value);
            }
        }
    }

    private static Map<String, Double> rounded(Map<String, Double> phases) {
        Map<String, Double> out = new java.util.LinkedHashMap<>();
        phases.forEach((k, v) -> out.put(k, Math.round(v * 10) / 10.0));
        return out;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
