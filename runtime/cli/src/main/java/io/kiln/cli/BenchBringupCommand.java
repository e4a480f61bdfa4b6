package io.kiln.cli;

import io.kiln.bench.BringupBenchmark;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "bringup", mixinStandardHelpOptions = true,
        description = {"Time to first packet of a new endpoint: from its spec accepted by the agent's API to the first"
                + " datagram from its own namespace delivered to a server endpoint whose policy allows it, one endpoint"
                + " at a time, N endpoints,",
                "with tiering (tier 0 at once, its specialized program swapped in behind it: tiered.*, with"
                        + " tier1ReadyMillisP50, from the spec accepted to its status showing tier 1) and without"
                        + " (specialized only: specializedOnly.*), each run with an agent of its own.",
                "Runs in network namespaces, pin roots and folders of its own, removed at the end. Needs root."})
final class BenchBringupCommand implements Callable<Integer> {
    @Option(names = "--endpoints", defaultValue = "200", paramLabel = "N",
            description = "Endpoints brought up in each run (default: ${DEFAULT-VALUE}).")
    int endpoints;

    @Option(names = "--parallelism", paramLabel = "P",
            description = "The agent's parallelism (default: the cores).")
    Integer parallelism;

    @Option(names = "--mode", paramLabel = "auto|tcx|tc", defaultValue = "auto",
            description = "How the agent attaches tc programs (default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--json", description = "Print one JSON object on the last line.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        Integer notRoot = BenchRuntimeOptions.requireRoot("bench bringup", err);
        if (notRoot != null) {
            return notRoot;
        }
        if (endpoints < 1 || endpoints > 10_000 || (parallelism != null && parallelism < 1)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--endpoints must be 1..10000, --parallelism positive");
        }
        int p = parallelism != null ? parallelism : Runtime.getRuntime().availableProcessors();
        BringupBenchmark.Result r = BringupBenchmark.run(new BringupBenchmark.Options(endpoints, p,
                KilnHome.endpointTemplate().getParent(), attachMode()), err);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("endpoints", r.endpoints());
        m.put("tiered", figures(r.tiered()));
        m.put("specializedOnly", figures(r.specializedOnly()));
        m.put("tiering", "tiered: tier 0 at once, tier 1 swapped in behind it; specializedOnly: kiln agent --no-tier0");
        m.put("parallelism", p);
        m.put("attachMode", mode.toLowerCase(java.util.Locale.ROOT));
        m.put("machine", Machine.describe());
        Json.printFigures(spec.commandLine().getOut(), m, json);
        return r.tiered().endedOnTier0() == 0 ? 0 : Main.EXIT_FAILED;
    }

    private static Map<String, Object> figures(BringupBenchmark.Run run) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("timeToFirstPacketMillisP50", Stats.round(BringupBenchmark.percentile(run.firstPacketMillis(), 50), 2));
        m.put("timeToFirstPacketMillisP99", Stats.round(BringupBenchmark.percentile(run.firstPacketMillis(), 99), 2));
        m.put("timeToFirstPacketMillisMax", Stats.round(BringupBenchmark.percentile(run.firstPacketMillis(), 100), 2));
        m.put("tier1ReadyMillisP50", Stats.round(BringupBenchmark.percentile(run.tier1ReadyMillis(), 50), 1));
        m.put("tier1ReadyMillisP99", Stats.round(BringupBenchmark.percentile(run.tier1ReadyMillis(), 99), 1));
        if (run.tiered()) {
            m.put("endedOnTier0", run.endedOnTier0());
        }
        Map<String, Object> phases = new LinkedHashMap<>();
        run.phaseMillis().forEach((k, v) -> phases.put(k, Stats.round(v, 2)));
        m.put("phaseMillisMean", phases);
        return m;
    }

    private io.kiln.runtime.AttachMode attachMode() {
        return BenchRuntimeOptions.attachMode(mode);
    }
}
