package io.kiln.cli;

import io.kiln.bench.BenchLab;
import io.kiln.bench.UpgradeBenchmark;
import io.kiln.runtime.AttachMode;
import io.kiln.runtime.TemplateObject;
import io.kiln.template.TemplateDescriptor;

import io.kiln.template.Templates;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "upgrade", mixinStandardHelpOptions = true,
        description = {"Map migration under traffic: the endpoint template's policy map and the node's conntrack map"
                + " hold --entries entries each; each round swaps the endpoint's programs to the same variant (a plain"
                + " swap), then to a variant with twice the policySize and ctSize and back (both maps migrate into"
                + " new maps, field by field), while TCP connections (a request every 50 ms) and a numbered UDP flow"
                + " cross the programs.",
                "Reports each map's migration time per 10,000 entries and the longest traffic gap of the migrating"
                        + " swaps against the plain swaps of the same run. Runs in a veth pair of its own namespaces."
                        + " Needs root.",
                "Then the disruption steps, each under TCP connections and a UDP flow of its own (\"steps\": broken,"
                        + " failed, lost, duplicated, longest gaps): a restart (this process's handles dropped as a"
                        + " SIGKILL drops them, a new loader adopts), the tc hooks moved to the other kind and back"
                        + " (tcx kernels), and with the default endpoint template a swap to its 24-byte ct_entry from"
                        + " before flow counters (the conntrack map migrates down) and back."})
final class BenchUpgradeCommand implements Callable<Integer> {
    @Option(names = "--entries", defaultValue = "10000", description = "Entries in policy and in conntrack (default: ${DEFAULT-VALUE}).")
    int entries;

    @Option(names = "--rounds", defaultValue = "3", description = "Rounds of plain, migrating, migrating back (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--connections", defaultValue = "50", description = "TCP connections (default: ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--rate", defaultValue = "5000", paramLabel = "PACKETS_PER_SECOND",
            description = "UDP datagrams per second (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--busy-ms", defaultValue = "0", paramLabel = "MILLIS",
            description = "Also two control windows each round, without a swap: one thread of the benchmark spinning"
                    + " for MILLIS ms, and a conntrack and a policy map of the migrated size created and closed"
                    + " (0: none; default: ${DEFAULT-VALUE}). They tell how much of a migrating swap's gap the probe's"
                    + " threads waiting for the CPU, and the kernel's work on the maps, explain.")
    int busyMillis;

    @Option(names = "--json", description = "Print one JSON object on the last line.")
    boolean json;

    @Mixin
    BenchRuntimeOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Integer notRoot = BenchRuntimeOptions.requireRoot("bench upgrade", spec.commandLine().getErr());
        if (notRoot != null) {
            return notRoot;
        }
        if (entries < 1 || entries > 1_000_000 || rounds < 1 || rounds > 100 || connections < 1 || connections > 500
                || rate < 100 || rate > 100_000 || busyMillis < 0 || busyMillis > 10_000) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--entries 1..1000000, --rounds 1..100,"
                    + " --connections 1..500, --rate 100..100000, --busy-ms 0..10000");
        }
        TemplateDescriptor descriptor = options.descriptor();
        if (descriptor.buildParameter("policySize").isEmpty() || descriptor.buildParameter("ctSize").isEmpty()) {
            throw new BenchRuntimeOptions.BadInput("template " + descriptor.name() + ": bench upgrade needs the"
                    + " endpoint template's build parameters policySize and ctSize");
        }
        int policySize = Math.max(entries * 2, 16384);
        int ctSize = Math.max(entries * 2, 65536);
        Map<String, Object> m = new LinkedHashMap<>();
        List<String> given = new ArrayList<>(options.assignments);
        options.assignments = new ArrayList<>(given);
        options.assignments.add("policySize=" + policySize);
        options.assignments.add("ctSize=" + ctSize);
        TemplateObject a = options.object(descriptor, m);
        options.assignments = new ArrayList<>(given);
        options.assignments.add("policySize=" + policySize * 2);
        options.assignments.add("ctSize=" + ctSize * 2);
        TemplateObject b = options.object(descriptor, new LinkedHashMap<>());
        // the downgrade step: the default endpoint template as it was before flow counters (24-byte ct_entry)
        TemplateObject older = null;
        String olderNote;
        Path copy = null;
        try {
            Path bpf = KilnHome.dir().resolve("bpf-templates/src/main/bpf");
            copy = Files.createTempDirectory("kiln-bench-upgrade-");
            java.util.Optional<Path> endpointDir = options.template == null
                    ? UpgradeBenchmark.templatesBeforeFlowCounters(bpf, copy.resolve("bpf")) : java.util.Optional.empty();
            if (endpointDir.isPresent() && descriptor.buildParameter("flowEvents").isPresent()) {
                options.assignments = new ArrayList<>(given);
                options.assignments.add("policySize=" + policySize);
                options.assignments.add("ctSize=" + ctSize);
                options.assignments.add("flowEvents=off");
                older = options.object(Templates.load(endpointDir.get()), new LinkedHashMap<>());
                olderNote = "variant A's template with the " + UpgradeBenchmark.CT_ENTRY_SIZE + "-byte ct_entry replaced"
                        + " by the 24-byte one from before flow counters, flowEvents=off";
            } else {
                olderNote = "skipped: only with the default endpoint template (its conntrack.h and flowEvents)";
            }
        } catch (java.io.IOException e) {
            throw new BenchRuntimeOptions.BadInput("bench upgrade: copy the templates for the downgrade step: "
                    + e.getMessage());
        } finally {
            options.assignments = new ArrayList<>(given);
        }
        AttachMode mode = options.attachMode();
        UpgradeBenchmark.Result r;
        PrintWriter err = spec.commandLine().getErr();
        try (BenchLab lab = BenchLab.create("bench-upg")) {
            r = UpgradeBenchmark.run(lab, a, b, older, options.constants(descriptor, lab, UpgradeBenchmark.ENDPOINT_ID),
                    entries, rounds, connections, rate, mode, busyMillis, err);
        } finally {
            deleteQuietly(copy);
        }
        m.put("mode", options.mode);
        m.put("variantA", "policySize=" + policySize + " ctSize=" + ctSize);
        m.put("variantB", "policySize=" + policySize * 2 + " ctSize=" + ctSize * 2);
        m.put("entries", entries);
        m.put("rounds", rounds);
        m.put("ctEntriesMigrated", r.migratedEntries("conntrack"));
        m.put("policyEntriesMigrated", r.migratedEntries("policy"));
        m.put("ctMigrationMillisPer10k", Stats.round(r.migrationMillisPer10k("conntrack"), 2));
        m.put("policyMigrationMillisPer10k", Stats.round(r.migrationMillisPer10k("policy"), 2));
        m.put("plainSwapMillisP50", Stats.round(r.swapMillisP50("plain"), 2));
        m.put("migratingSwapMillisP50", Stats.round(r.swapMillisP50("migrating"), 2));
        m.put("plainPhasesMillisP50", rounded(r.phasesMillisP50("plain")));
        m.put("migratingPhasesMillisP50", rounded(r.phasesMillisP50("migrating")));
        m.put("plainLongestTcpGapMillis", Stats.round(r.longest("plain", true), 1));
        m.put("migratingLongestTcpGapMillis", Stats.round(r.longest("migrating", true), 1));
        m.put("plainLongestUdpGapMillis", Stats.round(r.longest("plain", false), 1));
        m.put("migratingLongestUdpGapMillis", Stats.round(r.longest("migrating", false), 1));
        if (busyMillis > 0) {
            m.put("busyMillis", busyMillis);
            m.put("busyLongestTcpGapMillis", Stats.round(r.longest("busy", true), 1));
            m.put("busyLongestUdpGapMillis", Stats.round(r.longest("busy", false), 1));
            m.put("createLongestTcpGapMillis", Stats.round(r.longest("create", true), 1));
            m.put("createLongestUdpGapMillis", Stats.round(r.longest("create", false), 1));
        }
        m.put("connections", r.traffic().connections());
        m.put("connectionsBroken", r.traffic().broken());
        m.put("requests", r.traffic().requests());
        m.put("requestsFailed", r.failed());
        m.put("datagramsSent", r.traffic().udp().sent());
        m.put("datagramsLost", r.traffic().udp().missing());
        m.put("datagramsDuplicated", r.traffic().udp().duplicated());
        List<Map<String, Object>> steps = new ArrayList<>();
        for (UpgradeBenchmark.Step st : r.steps()) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("step", st.name());
            one.put("millis", Stats.round(st.millis(), 1));
            one.put("connectionsBroken", st.traffic().broken());
            one.put("requests", st.traffic().requests());
            one.put("requestsFailed", st.traffic().failed());
            one.put("datagramsSent", st.traffic().udp().sent());
            one.put("datagramsLost", st.traffic().udp().missing());
            one.put("datagramsDuplicated", st.traffic().udp().duplicated());
            one.put("longestTcpGapMillis", Stats.round(st.traffic().tcpGapMillis(), 1));
            one.put("longestUdpGapMillis", Stats.round(st.traffic().udpGapMillis(), 1));
            one.put("conntrackEntriesAfter", st.conntrackEntries());
            one.put("conntrackValueSizeAfter", st.conntrackValueSize());
            one.put("tcpRetransmits", st.tcpRetransmits());
            one.put("programDrops", st.programDrops());
            steps.add(one);
        }
        m.put("steps", steps);
        m.put("downgradeStep", olderNote);
        m.put("machine", Machine.describe());
        PrintWriter o = spec.commandLine().getOut();
        if (json) {
            o.println(Json.line(m));
        } else {
            m.forEach((k, v) -> o.printf("%-30s %s%n", k, v));
        }
        o.flush();
        boolean stepsClean = r.steps().stream().allMatch(st -> st.traffic().broken() == 0 && st.traffic().failed() == 0);
        return r.traffic().broken() == 0 && r.failed() == 0 && stepsClean ? 0 : Main.EXIT_FAILED;
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (java.util.stream.Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (java.io.IOException e) {
            // a temporary copy of the templates; the system's temp cleaner takes what is left
        }
    }

    private static Map<String, Double> rounded(Map<String, Double> phases) {
        Map<String, Double> out = new LinkedHashMap<>();
        phases.forEach((k, v) -> out.put(k, Stats.round(v, 2)));
        return out;
    }
}
