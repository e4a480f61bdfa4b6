package io.kiln.cli;

import io.kiln.runtime.AttachMode;
import io.kiln.runtime.TemplateObject;
import io.kiln.bench.BenchLab;
import io.kiln.bench.Conventions;
import io.kiln.bench.SwapBenchmark;
import io.kiln.template.ConstantDecl;
import io.kiln.template.Constants;
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

@Command(name = "swap", mixinStandardHelpOptions = true,
        description = {"Swap an endpoint's programs again and again while sequence-numbered UDP crosses them:"
                + " counts the datagrams lost or duplicated and times each swap (specialize, load, atomic"
                + " replace). Each swap alternates one constant (IDENTITY or ENDPOINT_ID when the template has"
                + " one) between two values.",
                "Runs in a veth pair of the benchmark's own namespaces. Needs root."})
final class BenchSwapCommand implements Callable<Integer> {
    @Option(names = "--swaps", defaultValue = "200", description = "Swaps (default: ${DEFAULT-VALUE}).")
    int swaps;

    @Option(names = "--rate", defaultValue = "60000", paramLabel = "PACKETS_PER_SECOND",
            description = "UDP datagrams per second (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--json", description = "Print one JSON object on the last line.")
    boolean json;

    @Mixin
    BenchRuntimeOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Integer notRoot = BenchRuntimeOptions.requireRoot("bench swap", spec.commandLine().getErr());
        if (notRoot != null) {
            return notRoot;
        }
        if (swaps < 1 || rate < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--swaps and --rate must be positive");
        }
        AttachMode mode = options.attachMode();
        Map<String, Object> m = new LinkedHashMap<>();
        TemplateDescriptor descriptor = options.descriptor();
        ConstantDecl swapped = Conventions.swappable(descriptor).orElseThrow(() -> new BenchRuntimeOptions.BadInput(
                "template " + descriptor.name() + ": no integer constant to alternate between swaps"));
        TemplateObject object = options.object(descriptor, m);
        SwapBenchmark.Result r;
        try (BenchLab lab = BenchLab.create("bench-swap")) {
            Map<String, byte[]> constants = options.constants(descriptor, lab, SwapBenchmark.ENDPOINT_ID);
            r = SwapBenchmark.run(lab, object, constants, swapped.name(),
                    Constants.encode(descriptor.name(), swapped, "1000"), Constants.encode(descriptor.name(), swapped, "1001"),
                    swaps, rate, mode);
        }
        m.put("mode", options.mode);
        m.put("swapConstant", swapped.name());
        m.put("swaps", r.swaps());
        m.put("packetsSent", r.traffic().sent());
        m.put("packetsLost", r.traffic().missing());
        m.put("packetsDuplicated", r.traffic().duplicated());
        // of the lost: dropped by the receiving socket's full buffer (the receiver fell behind), not on the hook
        m.put("receiveBufferDrops", r.traffic().rcvbufErrors());
        m.put("backlogDrops", r.traffic().backlogDrops());
        m.put("programDrops", r.programDrops());
        m.put("packetsPerSecond", Math.round(r.traffic().packetsPerSecond()));
        m.put("swapMillisP50", Stats.round(r.swapMillisP50(), 3));
        m.put("swapMillisP99", Stats.round(r.swapMillisP99(), 3));
        m.put("machine", Machine.describe());
        Json.printFigures(spec.commandLine().getOut(), m, json);
        return r.traffic().missing() == 0 && r.traffic().duplicated() == 0 ? 0 : Main.EXIT_FAILED;
    }
}
