package io.kiln.cli;

import io.kiln.build.BuiltVariant;
import io.kiln.build.VariantBuilder;
import io.kiln.cache.CacheStats;
import io.kiln.template.TemplateDescriptor;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "compile", mixinStandardHelpOptions = true,
        description = {"Render and compile one variant of a template into a BPF object, through the object cache.",
                "The same variant is never compiled twice: a second run is a cache hit with no clang run."})
final class CompileCommand implements Callable<Integer> {
    @Mixin
    TemplateOptions template;

    @Mixin
    CacheOptions cache;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE", description = "Also copy the object to FILE.")
    Path out;

    @Option(names = "--json", description = "Print one JSON object on the last line: variantKey, object, cache,"
            + " clangRuns, millis, template, parameters.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        long start = System.nanoTime();
        TemplateDescriptor descriptor = template.descriptor();
        VariantBuilder builder = cache.builder();
        PrintWriter err = spec.commandLine().getErr();
        builder.cache().store().onWarning(m -> {
            err.println("kiln: warning: " + m);
            err.flush();
        });
        BuiltVariant variant = builder.build(descriptor, template.parameters(descriptor));
        Path object = variant.result().object().file();
        if (out != null) {
            Files.write(out, variant.result().object().bytes());
            object = out.toAbsolutePath();
        }
        CacheStats stats = builder.cache().stats();
        long millis = (System.nanoTime() - start) / 1_000_000;
        PrintWriter o = spec.commandLine().getOut();
        String outcome = variant.result().outcome().name().toLowerCase(Locale.ROOT);
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("template", descriptor.name());
            m.put("parameters", variant.parameters().values());
            m.put("variantKey", variant.result().object().key().toString());
            m.put("object", object == null ? null : object.toString());
            m.put("cache", outcome);
            m.put("clangRuns", stats.clangRuns());
            m.put("dependencyScans", stats.dependencyScans());
            m.put("bytes", variant.result().object().bytes().length);
            m.put("millis", millis);
            o.println(Json.line(m));
        } else {
            o.printf("%s -> %s%n", variant.displayName(), object != null ? object : "(not stored; --out FILE writes it)");
            o.printf("  variant key %s, cache %s, clang runs %d, %d ms%n",
                    variant.result().object().key().shortForm(), outcome, stats.clangRuns(), millis);
        }
        o.flush();
        return 0;
    }
}
