package io.kiln.cli;

import io.kiln.bench.DnsBenchmark;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "dns", mixinStandardHelpOptions = true,
        description = {"DNS-aware policy with no first-packet race: N lookups of names new to the node, each followed"
                + " at once by a TCP connect to the address, from a client endpoint (dnsLearning=true) whose only way"
                + " out is a toFQDNs rule; a real resolver (dnsmasq) behind the node namespace, the agent in this"
                + " process.",
                "Figures: firstConnectSuccess (goal: every pair), answerAddedLatencyMicrosP50/P99 (from the"
                        + " dataplane holding an answer to the agent re-delivering it), learnApplyMicrosP50/P99 (the"
                        + " plan and map writes within it), learnedEntries, agentHeapMiB (this JVM after a GC).",
                "With --names N (above --pairs): N - pairs more lookups (no connect) of names new to the node, then"
                        + " learnedEntries and the agent's memory at N names: agentHeapMiB against agentHeapMiBBefore"
                        + " (nothing learned yet), heapPerNameBytes, and namesAnswerAddedLatencyMicrosP50/P99 (the last"
                        + " 4096 answers of that phase, with thousands of names learned). The learner's per-endpoint"
                        + " and per-node bounds are raised to N if below it.",
                "Runs in network namespaces, pin roots and folders of its own, removed at the end. Needs root and"
                        + " dnsmasq."})
final class BenchDnsCommand implements Callable<Integer> {
    @Option(names = "--pairs", defaultValue = "1000", paramLabel = "N",
            description = "Lookup-then-connect pairs, each a new name (default: ${DEFAULT-VALUE}, at most 60000).")
    int pairs;

    @Option(names = "--names", defaultValue = "0", paramLabel = "N",
            description = "Learned names to end with, for the memory figure (default: --pairs; at most 60000).")
    int names;

    @Option(names = "--json", description = "Print one JSON object on the last line.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        Integer notRoot = BenchRuntimeOptions.requireRoot("bench dns", err);
        if (notRoot != null) {
            return notRoot;
        }
        if (pairs < 1 || pairs > 60_000) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--pairs must be 1..60000");
        }
        if (names < 0 || names > 60_000) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--names must be 0..60000");
        }
        DnsBenchmark.Result r = DnsBenchmark.run(new DnsBenchmark.Options(pairs, Math.max(pairs, names),
                KilnHome.endpointTemplate().getParent(), io.kiln.runtime.AttachMode.AUTO), err);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pairs", r.pairs());
        m.put("firstConnectSuccess", r.firstConnectSuccess());
        m.put("answerAddedLatencyMicrosP50", DnsBenchmark.percentile(r.addedMicros(), 50));
        m.put("answerAddedLatencyMicrosP99", DnsBenchmark.percentile(r.addedMicros(), 99));
        m.put("answerAddedLatencyMicrosMax", DnsBenchmark.percentile(r.addedMicros(), 100));
        m.put("learnApplyMicrosP50", DnsBenchmark.percentile(r.applyMicros(), 50));
        m.put("learnApplyMicrosP99", DnsBenchmark.percentile(r.applyMicros(), 99));
        m.put("learnedEntries", r.learnedEntries());
        m.put("agentHeapMiB", Stats.round(r.heapUsedBytes() / (1024.0 * 1024.0), 1));
        m.put("agentHeapMiBBefore", Stats.round(r.heapBeforeBytes() / (1024.0 * 1024.0), 1));
        if (r.learnedEntries() > 0) {
            m.put("heapPerNameBytes", (r.heapUsedBytes() - r.heapBeforeBytes()) / r.learnedEntries());
        }
        m.put("pairsMillis", r.resolverMillis());
        m.put("namesMillis", r.namesMillis());
        if (r.namesAddedMicros().length > 0) {
            m.put("namesAnswerAddedLatencyMicrosP50", DnsBenchmark.percentile(r.namesAddedMicros(), 50));
            m.put("namesAnswerAddedLatencyMicrosP99", DnsBenchmark.percentile(r.namesAddedMicros(), 99));
        }
        m.put("failures", r.failures());
        m.put("machine", Machine.describe());
        Json.printFigures(spec.commandLine().getOut(), m, json);
        return r.firstConnectSuccess() == r.pairs() ? 0 : Main.EXIT_FAILED;
    }
}
