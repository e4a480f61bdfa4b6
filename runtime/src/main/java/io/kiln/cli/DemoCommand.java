package io.kiln.cli;

import io.kiln.build.BuiltVariant;
import io.kiln.build.VariantBuilder;
import io.kiln.cache.CacheStats;
import io.kiln.template.BuildParameters;
import io.kiln.template.Parameters;
import io.kiln.template.TemplateDescriptor;
import io.kiln.template.Templates;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Show templating at work on the sample template (examples/templates/hello).",
                "render and compile its variants through the object cache (miss, memory hit, disk hit),",
                "coalesce concurrent requests into one clang run, and inspect the object.",
                "Uses a temporary object store that is deleted afterwards."})
final class DemoCommand implements Callable<Integer> {
    @Mixin
    CacheOptions cache;

    @Spec
    CommandSpec spec;

    private PrintWriter out;

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        TemplateDescriptor hello = Templates.load(KilnHome.exampleTemplate("hello"));
        Path store = Files.createTempDirectory("kiln-demo-store");
        try {
            step("Template " + hello.name() + " (" + hello.descriptorFile() + ")");
            out.printf("  programs: %s%n", hello.programs().stream().map(p -> p.name() + "@" + p.hook().yamlName()).toList());
            out.printf("  build parameters: %s%n", hello.buildParameters().stream()
                    .map(p -> p.name() + ":" + p.type().yamlName() + "=" + p.defaultValue()).toList());
            out.printf("  endpoint constants: %s%n", hello.constants().stream()
                    .map(c -> c.name() + ":" + c.type().yamlName()).toList());

            VariantBuilder builder = cache.builder(store);
            BuildParameters defaults = Parameters.resolve(hello, Map.of());
            step("Compile the default variant into an empty store: a miss, one clang run");
            build(builder, hello, defaults);
            step("Ask again in the same process: a memory hit, no clang");
            build(builder, hello, defaults);
            step("A new cache over the same store (as a new process would): a disk hit, no clang process at all");
            VariantBuilder second = cache.builder(store);
            build(second, hello, defaults);

            List<BuildParameters> matrix = Parameters.matrix(hello);
            step("Every variant of the build matrix (" + matrix.size() + "), 8 concurrent requests each:"
                    + " one clang run per new variant");
            long before = second.cache().stats().clangRuns();
            List<CompletableFuture<BuiltVariant>> futures = new ArrayList<>();
            for (BuildParameters p : matrix) {
                for (int i = 0; i < 8; i++) {
                    futures.add(second.buildAsync(hello, p));
                }
            }
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).join();
            for (BuildParameters p : matrix) {
                BuiltVariant v = second.build(hello, p);
                out.printf("  %-50s key %s%n", v.displayName(), v.result().object().key().shortForm());
            }
            out.printf("  %d requests, %d clang runs%n", futures.size(), second.cache().stats().clangRuns() - before);

            step("What the object declares (kiln inspect)");
            BuiltVariant v = second.build(hello, defaults);
            Path object = v.result().object().file();
            new picocli.CommandLine(new InspectCommand()).setOut(out).execute(object.toString());

            CacheStats stats = second.cache().stats();
            step("Cache statistics of the second cache");
            out.printf("  memory hits %d, disk hits %d, misses %d, clang runs %d, dependency scans %d, compile time %d ms%n",
                    stats.memoryHits(), stats.diskHits(), stats.misses(), stats.clangRuns(), stats.dependencyScans(),
                    stats.compileNanos() / 1_000_000);
            out.flush();
            return 0;
        } finally {
            BenchCompileCommand.deleteTree(store);
        }
    }

    private void step(String title) {
        out.println();
        out.println("== " + title);
        out.flush();
    }

    private void build(VariantBuilder builder, TemplateDescriptor t, BuildParameters p) {
        long start = System.nanoTime();
        BuiltVariant v = builder.build(t, p);
        out.printf("  %s: %s, key %s, %.2f ms, clang runs so far %d%n", v.displayName(),
                v.result().outcome().name().toLowerCase(Locale.ROOT), v.result().object().key().shortForm(),
                (System.nanoTime() - start) / 1e6, builder.cache().stats().clangRuns());
        out.flush();
    }
}
