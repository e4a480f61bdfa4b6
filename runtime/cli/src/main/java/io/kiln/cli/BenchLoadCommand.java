package io.kiln.cli;

import io.kiln.runtime.AttachMode;
import io.kiln.runtime.TemplateObject;
import io.kiln.bench.BenchLab;
import io.kiln.bench.LoadBenchmark;
import io.kiln.template.TemplateDescriptor;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "load", mixinStandardHelpOptions = true,
        description = {"Time putting one endpoint's programs on its interface through Kiln (specialize, load,"
                + " attach, record) against 'bpftool prog loadall' of the same object, alternating the two run by"
                + " run in a veth pair of the benchmark's own namespaces.",
                "Prints medians in milliseconds and the ratio Kiln / bpftool. Needs root."})
final class BenchLoadCommand implements Callable<Integer> {
    @Option(names = "--runs", defaultValue = "9", description = "Measured runs of each (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", defaultValue = "2",
            description = "Unmeasured runs of each first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--bpftool", defaultValue = "bpftool", paramLabel = "PATH",
            description = "bpftool to compare with (default: ${DEFAULT-VALUE}).")
    String bpftool;

    @Option(names = "--json", description = "Print one JSON object on the last line.")
    boolean json;

    @Mixin
    BenchRuntimeOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Integer notRoot = BenchRuntimeOptions.requireRoot("bench load", spec.commandLine().getErr());
        if (notRoot != null) {
            return notRoot;
        }
        if (runs < 1 || warmup < 0) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--runs must be at least 1, --warmup 0 or more");
        }
        AttachMode mode = options.attachMode();
        Map<String, Object> m = new LinkedHashMap<>();
        TemplateDescriptor descriptor = options.descriptor();
        TemplateObject object = options.object(descriptor, m);
        LoadBenchmark.Result r;
        try (BenchLab lab = BenchLab.create("bench-load")) {
            r = LoadBenchmark.run(lab, object, options.constants(descriptor, lab, LoadBenchmark.ENDPOINT_ID), runs,
                    warmup, mode, bpftool);
        }
        m.put("mode", options.mode);
        m.put("runs", runs);
        m.put("warmup", warmup);
        m.put("kilnMillis", Stats.round(r.kilnMillis(), 3));
        m.put("bpftoolMillis", Stats.round(r.bpftoolMillis(), 3));
        m.put("ratio", Stats.round(r.ratio(), 3));
        m.put("kilnSpecializeMillis", Stats.round(r.kilnSpecializeMillis(), 3));
        m.put("specializeRatio", Stats.round(r.specializeRatio(), 3));
        m.put("kilnNodeMapsPinnedMillis", Stats.round(r.kilnNodeMapsPinnedMillis(), 3));
        m.put("machine", Machine.describe());
        Json.printFigures(spec.commandLine().getOut(), m, json);
        return 0;
    }
}
