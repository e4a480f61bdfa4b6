package io.kiln.cli;

import io.kiln.host.Host;
import io.kiln.bpf.BpfMap;
import io.kiln.bpf.BpfProgram;
import io.kiln.bench.TierComparison;
import io.kiln.template.Parameters;
import io.kiln.template.TemplateDescriptor;
import io.kiln.template.Templates;
import io.kiln.templates.EndpointDefines;
import io.kiln.lab.Packets;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "datapath", mixinStandardHelpOptions = true,
        description = {"Time the endpoint template's programs with BPF_PROG_TEST_RUN (the kernel's mean per run),"
                + " on paths that do not rewrite the packet, alternating the two sides of each comparison:",
                "tier 1 (the endpoint's specialized program, configSource=constants) vs tier 0 (the node-wide generic"
                        + " program, configSource=node, shared by " + TierComparison.ENDPOINTS + " registered endpoints:"
                        + " config by ifindex, policy and metrics through maps of maps), on the same packets and the same"
                        + " maps: an established TCP flow from the endpoint to the stack, and a new connection through"
                        + " policy (connectionTracking=false, so every run takes a first packet's path minus the"
                        + " conntrack insert); also the verifier's processed and the translated instructions of both.",
                "policy with 10 vs 10,000 entries (connectionTracking=false, so every packet looks policy up).",
                "flowEvents=on vs off on the established TCP flow (tier 1): the per-packet cost of flow counters.",
                "Ratios are the first over the second (below 1: the first is faster). Needs root."})
final class BenchDatapathCommand implements Callable<Integer> {
    @Option(names = "--template", paramLabel = "DIR",
            description = "The endpoint template. Default: bpf-templates/src/main/bpf/endpoint of the checkout.")
    Path template;

    @Option(names = "--repeat", defaultValue = "1000000",
            description = "Test-run repeats per measurement (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--rounds", defaultValue = "7", description = "Measurements of each side (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--json", description = "Print one JSON object on the last line.")
    boolean json;

    @Mixin
    CacheOptions cache;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (repeat < 1 || rounds < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--repeat and --rounds must be at least 1");
        }
        PrintWriter o = spec.commandLine().getOut();
        if (!Host.isRoot()) {
            spec.commandLine().getErr().println("kiln bench datapath: needs root (loads BPF programs)");
            return Main.EXIT_BAD_INPUT;
        }
        TemplateDescriptor t = Templates.load(template != null ? template : KilnHome.endpointTemplate());
        var builder = cache.builder();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("template", t.name());
        m.put("repeat", repeat);
        m.put("rounds", rounds);

        byte[] syn = DatapathFixture.tcpFromEndpoint(Packets.TCP_SYN, 443);
        byte[] ack = DatapathFixture.tcpFromEndpoint(Packets.TCP_ACK, 443);
        Consumer<BpfMap> allow = policy -> TierComparison.allow(policy, DatapathFixture.REMOTE_IDENTITY, 443,
                Packets.IPPROTO_TCP, EndpointDefines.DIR_EGRESS);
        TierComparison.Figures established;
        TierComparison.Figures fresh;
        String parameters;
        try (TierComparison c = TierComparison.load(builder, t, Map.of(), DatapathFixture.REMOTE,
                DatapathFixture.REMOTE_IDENTITY, allow)) {
            c.expect("from_endpoint", syn, 0, "open the TCP flow (conntrack is one map for both tiers)");
            c.expect("from_endpoint", ack, 0, "established TCP flow");
            established = c.measure("from_endpoint", ack, repeat, rounds);
            parameters = Parameters.resolve(t, Map.of()).canonical().replace("configSource=constants,", "");
            m.put("verifiedInsnsToEndpoint", Map.of("tier0", c.tier0("to_endpoint").verifiedInstructions(),
                    "tier1", c.tier1("to_endpoint").verifiedInstructions()));
        }
        Map<String, Object> statelessTiers = Map.of("connectionTracking", false, "loadBalancing", false);
        try (TierComparison c = TierComparison.load(builder, t, statelessTiers, DatapathFixture.REMOTE,
                DatapathFixture.REMOTE_IDENTITY, allow)) {
            c.expect("from_endpoint", syn, 0, "a new connection allowed by policy");
            fresh = c.measure("from_endpoint", syn, repeat, rounds);
        }
        m.put("path", "from_endpoint, established TCP flow to the stack (" + ack.length + "-byte frame)");
        m.put("parameters", parameters);
        m.put("tier0Endpoints", TierComparison.ENDPOINTS);
        m.put("tier0Ns", established.tier0Ns());
        m.put("tier1Ns", established.tier1Ns());
        m.put("specializedOverGeneric", Stats.round(established.specializedOverGeneric(), 3));
        m.put("tier0VerifiedInsns", established.tier0VerifiedInsns());
        m.put("tier1VerifiedInsns", established.tier1VerifiedInsns());
        m.put("tier0XlatedInsns", established.tier0XlatedInsns());
        m.put("tier1XlatedInsns", established.tier1XlatedInsns());
        m.put("newConnectionPath", "from_endpoint, TCP SYN allowed by policy, connectionTracking=false loadBalancing=false"
                + " (ipcache and six policy probes per packet)");
        m.put("tier0NewConnectionNs", fresh.tier0Ns());
        m.put("tier1NewConnectionNs", fresh.tier1Ns());
        m.put("specializedOverGenericNewConnection", Stats.round(fresh.specializedOverGeneric(), 3));
        m.put("tier0NewConnectionVerifiedInsns", fresh.tier0VerifiedInsns());
        m.put("tier1NewConnectionVerifiedInsns", fresh.tier1VerifiedInsns());
        m.put("tier0NewConnectionXlatedInsns", fresh.tier0XlatedInsns());
        m.put("tier1NewConnectionXlatedInsns", fresh.tier1XlatedInsns());

        Map<String, Object> stateless = Map.of("connectionTracking", false, "loadBalancing", false);
        try (DatapathFixture p10 = DatapathFixture.load(builder, t, stateless, "bench_p10");
             DatapathFixture p10k = DatapathFixture.load(builder, t, stateless, "bench_p10k")) {
            fillPolicy(p10, 10);
            fillPolicy(p10k, 10_000);
            BpfProgram a = p10.program("from_endpoint");
            BpfProgram b = p10k.program("from_endpoint");
            DatapathFixture.expect(a, ack, 0, "policy with 10 entries allows the flow");
            DatapathFixture.expect(b, ack, 0, "policy with 10,000 entries allows the flow");
            long[] pair = alternate(a, b, ack);
            m.put("policyPath", "from_endpoint, connectionTracking=false: ipcache and six policy probes per packet");
            m.put("policy10Ns", pair[0]);
            m.put("policy10kNs", pair[1]);
            m.put("policy10kOverPolicy10", Stats.round((double) pair[1] / pair[0], 3));
        }
        if (t.buildParameters().stream().anyMatch(p -> p.name().equals("flowEvents"))) {
            try (DatapathFixture on = DatapathFixture.load(builder, t, Map.of("flowEvents", "on"), "bench_flows_on");
                 DatapathFixture off = DatapathFixture.load(builder, t, Map.of("flowEvents", "off"), "bench_flows_off")) {
                for (DatapathFixture f : List.of(on, off)) {
                    f.allow(DatapathFixture.REMOTE_IDENTITY, 443, Packets.IPPROTO_TCP, EndpointDefines.DIR_EGRESS);
                    DatapathFixture.expect(f.program("from_endpoint"), syn, 0, "open the TCP flow");
                    DatapathFixture.expect(f.program("from_endpoint"), ack, 0, "established TCP flow");
                }
                long[] pair = alternate(on.program("from_endpoint"), off.program("from_endpoint"), ack);
                m.put("flowsPath", "from_endpoint, established TCP flow, tier 1, flowEvents=on (counters in the conntrack"
                        + " entry, no event) vs flowEvents=off (no flow code)");
                m.put("flowsOnNs", pair[0]);
                m.put("flowsOffNs", pair[1]);
                m.put("flowsOnOverOff", Stats.round((double) pair[0] / pair[1], 3));
            }
        }
        m.put("machine", Machine.describe());
        if (json) {
            o.println(Json.line(m));
        } else {
            m.forEach((k, v) -> o.printf("%-26s %s%n", k, v));
        }
        o.flush();
        return 0;
    }

    /** n entries, one of which allows the benchmark flow; the rest are for other identities. */
    private static void fillPolicy(DatapathFixture f, int n) {
        f.allow(DatapathFixture.REMOTE_IDENTITY, 443, Packets.IPPROTO_TCP, EndpointDefines.DIR_EGRESS);
        for (int i = 1; i < n; i++) {
            f.allow(100_000 + i, 443, Packets.IPPROTO_TCP, EndpointDefines.DIR_EGRESS);
        }
    }

    /** Medians of both sides, measured in turn (which goes first alternates), after one unmeasured run of each. */
    private long[] alternate(BpfProgram first, BpfProgram second, byte[] packet) {
        DatapathFixture.meanNanos(first, packet, Math.min(repeat, 100_000));
        DatapathFixture.meanNanos(second, packet, Math.min(repeat, 100_000));
        double[] a = new double[rounds];
        double[] b = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            if (r % 2 == 0) {
                a[r] = DatapathFixture.meanNanos(first, packet, repeat);
                b[r] = DatapathFixture.meanNanos(second, packet, repeat);
            } else {
                b[r] = DatapathFixture.meanNanos(second, packet, repeat);
                a[r] = DatapathFixture.meanNanos(first, packet, repeat);
            }
        }
        return new long[] {Math.round(Stats.median(a)), Math.round(Stats.median(b))};
    }
}
