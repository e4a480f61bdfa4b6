package io.kiln.cli;

import io.kiln.bench.RegenBenchmark;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "regen", mixinStandardHelpOptions = true,
        description = {"N endpoints over 4 variants of the endpoint template (loadBalancing x policyMode), brought"
                + " from specs to attached programs by the agent (kilnSeconds; clangRuns must equal variants),",
                "against the same work by clang and the kernel alone, measured in the same run (floorSeconds: one"
                        + " clang run per variant, one bpftool prog loadall per endpoint with its constants in"
                        + " .rodata, node maps reused, nothing attached; same parallelism),",
                "and against one clang run per endpoint, the pre-templating way (compilePerEndpointSeconds)."
                        + " Then rule changes applied as map writes (policyUpdateMillisP50) and the agent's"
                        + " resident memory (rssMiB, this process).",
                "Runs in a network namespace, a pin root and folders of its own, removed at the end. Needs root."})
final class BenchRegenCommand implements Callable<Integer> {
    @Option(names = "--endpoints", defaultValue = "200", paramLabel = "N",
            description = "Endpoints (default: ${DEFAULT-VALUE}).")
    int endpoints;

    @Option(names = "--parallelism", paramLabel = "P",
            description = "Endpoints worked on at once, by the agent and by the floor (default: the cores).")
    Integer parallelism;

    @Option(names = "--compile-sample", defaultValue = "0", paramLabel = "K",
            description = "Measure the pre-templating way on K endpoints and extrapolate to N (reported as"
                    + " compilePerEndpointSecondsEstimated); 0: measure all N (default).")
    int compileSample;

    @Option(names = "--clang", paramLabel = "PATH", description = "clang to use. Default: $KILN_CLANG, else clang on PATH.")
    Path clang;

    @Option(names = "--mode", paramLabel = "auto|tcx|tc", defaultValue = "auto",
            description = "How the agent attaches tc programs: tcx links where the kernel has them (auto), tcx, or"
                    + " legacy tc (default: ${DEFAULT-VALUE}). A tcx link waits for an RCU grace period under the"
                    + " kernel's rtnl lock, so tcx attaches do not overlap.")
    String mode;

    @Option(names = "--json", description = "Print one JSON object on the last line.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        Integer notRoot = BenchRuntimeOptions.requireRoot("bench regen", err);
        if (notRoot != null) {
            return notRoot;
        }
        if (endpoints < 1 || endpoints > 60_000 || compileSample < 0 || (parallelism != null && parallelism < 1)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--endpoints must be 1..60000, --parallelism positive, --compile-sample not negative");
        }
        int p = parallelism != null ? parallelism : Runtime.getRuntime().availableProcessors();
        RegenBenchmark.Result r = RegenBenchmark.run(new RegenBenchmark.Options(endpoints, p, compileSample,
                KilnHome.endpointTemplate().getParent(), clang, "bpftool", attachMode()), err);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("endpoints", r.endpoints());
        m.put("variants", r.variants());
        m.put("clangRuns", r.clangRuns());
        m.put("kilnSeconds", Stats.round(r.kilnSeconds(), 3));
        m.put("floorSeconds", Stats.round(r.floorSeconds(), 3));
        m.put("overFloor", Stats.round(r.overFloor(), 3));
        if (r.compileSampled()) {
            m.put("compilePerEndpointSecondsEstimated", Stats.round(r.compilePerEndpointSeconds(), 3));
        } else {
            m.put("compilePerEndpointSeconds", Stats.round(r.compilePerEndpointSeconds(), 3));
        }
        m.put("compilePerEndpointSample", r.compilePerEndpointSample());
        m.put(r.compileSampled() ? "speedupEstimated" : "speedup", Stats.round(r.speedup(), 2));
        m.put("clangSecondsPerVariant", Stats.round(r.clangSecondsPerVariant(), 3));
        m.put("loadSecondsPerEndpoint", Stats.round(r.loadSecondsPerEndpoint(), 4));
        m.put("kilnRegenerationMillisP50", Stats.round(r.kilnRegenerationMillisP50(), 1));
        m.put("kilnObjectMillisMean", Stats.round(r.kilnObjectMillisMean(), 2));
        m.put("kilnObjectMemoHits", r.kilnObjectMemoHits());
        m.put("kilnLoadAttachMillisMean", Stats.round(r.kilnLoadAttachMillisMean(), 2));
        m.put("policyUpdateMillisP50", Stats.round(r.policyUpdateMillisP50(), 2));
        m.put("policyUpdateMillisP99", Stats.round(r.policyUpdateMillisP99(), 2));
        m.put("policyUpdateInPlaceMillisP50", Stats.round(r.policyUpdateInPlaceMillisP50(), 2));
        m.put("policyUpdateInPlaceMillisP99", Stats.round(r.policyUpdateInPlaceMillisP99(), 2));
        m.put("policyUpdateDirectoryMillisP50", Stats.round(r.policyUpdateDirectoryMillisP50(), 2));
        m.put("policyUpdates", r.policyUpdates());
        m.put("policyUpdatesReloaded", r.policyUpdatesReloaded());
        m.put("rssMiB", Stats.round(r.rssMiB(), 1));
        m.put("parallelism", r.parallelism());
        m.put("attachMode", r.attachMode());
        m.put("machine", Machine.describe());
        Json.printFigures(spec.commandLine().getOut(), m, json);
        return r.clangRuns() == r.variants() && !r.policyUpdatesReloaded() ? 0 : Main.EXIT_FAILED;
    }

    private io.kiln.runtime.AttachMode attachMode() {
        return BenchRuntimeOptions.attachMode(mode);
    }
}
