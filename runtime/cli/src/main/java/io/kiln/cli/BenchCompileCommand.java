package io.kiln.cli;

import io.kiln.FileTrees;
import io.kiln.build.BuiltVariant;
import io.kiln.build.VariantBuilder;
import io.kiln.cache.CacheOutcome;
import io.kiln.compile.Clang;
import io.kiln.template.BuildParameters;
import io.kiln.template.Parameters;
import io.kiln.template.TemplateDescriptor;
import io.kiln.template.Templates;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "compile", mixinStandardHelpOptions = true,
        description = {"Time one variant of a template: a cold compile (empty store, clang runs), a memory hit"
                + " (same process) and a disk hit (new cache over a warm store, no clang process).",
                "Prints medians in milliseconds and the ratio cold / disk hit."})
final class BenchCompileCommand implements Callable<Integer> {
    @Option(names = "--template", paramLabel = "TEMPLATE",
            description = "Template folder or descriptor. Default: the sample examples/templates/hello.")
    Path template;

    @Option(names = "--runs", defaultValue = "9", description = "Runs per measurement (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", defaultValue = "3",
            description = "Unmeasured runs of each kind first, so the JIT has compiled the hit paths"
                    + " (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--json", description = "Print one JSON object on the last line.")
    boolean json;

    @Mixin
    CacheOptions cache;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (runs < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--runs must be at least 1");
        }
        TemplateDescriptor descriptor = Templates.load(template != null ? template : KilnHome.exampleTemplate("hello"));
        BuildParameters parameters = Parameters.resolve(descriptor, Map.of());
        PrintWriter o = spec.commandLine().getOut();
        Path scratch = Files.createTempDirectory("kiln-bench-compile");
        try {
            for (int i = 0; i < warmup; i++) {
                Path warmStore = scratch.resolve("warmup-" + i);
                timeMillis(cache.builder(warmStore), descriptor, parameters, CacheOutcome.MISS);
                timeMillis(cache.builder(warmStore), descriptor, parameters, CacheOutcome.DISK);
            }
            double[] cold = new double[runs];
            double[] memory = new double[runs];
            double[] disk = new double[runs];
            for (int i = 0; i < runs; i++) {
                VariantBuilder fresh = cache.builder(scratch.resolve("cold-" + i));
                cold[i] = timeMillis(fresh, descriptor, parameters, CacheOutcome.MISS);
            }
            Path warm = scratch.resolve("cold-0");
            VariantBuilder inMemory = cache.builder(warm);
            timeMillis(inMemory, descriptor, parameters, CacheOutcome.DISK);
            for (int i = 0; i < runs; i++) {
                memory[i] = timeMillis(inMemory, descriptor, parameters, CacheOutcome.MEMORY);
            }
            for (int i = 0; i < runs; i++) {
                disk[i] = timeMillis(cache.builder(warm), descriptor, parameters, CacheOutcome.DISK);
            }
            double coldMedian = Stats.median(cold);
            double diskMedian = Stats.median(disk);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("template", descriptor.name());
            m.put("parameters", parameters.canonical());
            m.put("runs", runs);
            m.put("warmup", warmup);
            m.put("coldMillis", Stats.round(coldMedian, 3));
            m.put("memoryHitMillis", Stats.round(Stats.median(memory), 4));
            m.put("diskHitMillis", Stats.round(diskMedian, 3));
            m.put("coldOverDiskHit", Stats.round(coldMedian / diskMedian, 1));
            m.put("clang", Clang.locate(cache.clang).version());
            m.put("machine", Machine.describe());
            if (json) {
                o.println(Json.line(m));
            } else {
                m.forEach((k, v) -> o.printf("%-16s %s%n", k, v));
            }
            o.flush();
            return 0;
        } finally {
            deleteTree(scratch);
        }
    }

    private static double timeMillis(VariantBuilder builder, TemplateDescriptor t, BuildParameters p,
                                     CacheOutcome expected) {
        long start = System.nanoTime();
        BuiltVariant v = builder.build(t, p);
        double millis = (System.nanoTime() - start) / 1e6;
        if (v.result().outcome() != expected) {
            throw new IllegalStateException("benchmark expected a " + expected + " but got " + v.result().outcome());
        }
        return millis;
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        FileTrees.delete(dir);
    }
}
