package io.kiln.cli;

import io.kiln.build.BuiltVariant;
import io.kiln.build.VariantBuilder;
import io.kiln.bundle.Bundle;
import io.kiln.bundle.BundleIndex;
import io.kiln.bundle.BundledTemplate;
import io.kiln.bundle.BundledVariant;
import io.kiln.template.BuildParameters;
import io.kiln.template.Parameters;
import io.kiln.template.TemplateDescriptor;
import io.kiln.template.Templates;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * A bundle without Maven: the variants of one template compiled through the object cache and laid out
 * in a folder the way the Maven plugin lays out its bundle ({@value BundleIndex#PATH} and the objects),
 * ready for {@code kiln agent --bundle DIR} or for an image built with {@code deploy/image/build-image.sh
 * --bundle DIR}. What it writes is read back and checked before the command says it is done.
 */
@Command(name = "bundle", mixinStandardHelpOptions = true,
        description = {"Compile variants of a template into a bundle folder (objects plus " + BundleIndex.PATH + "),",
                "what a node without clang runs: kiln agent --bundle DIR, or an image built with --bundle DIR."})
final class BundleCommand implements Callable<Integer> {
    @picocli.CommandLine.Parameters(index = "0", paramLabel = "TEMPLATE", description = "A template's folder or its NAME.template.yaml descriptor.")
    Path template;

    @Option(names = "--variant", paramLabel = "NAME=VALUE[,NAME=VALUE...]",
            description = "A variant to put in the bundle (repeatable): its build parameters, unset ones taking the"
                    + " descriptor's default; 'default' is the variant of all defaults. Default: the default variant only.")
    List<String> variants = new ArrayList<>();

    @Option(names = {"-o", "--out"}, paramLabel = "DIR", required = true,
            description = "Folder to write the bundle in; it must be empty or not exist yet.")
    Path out;

    @Mixin
    CacheOptions cache;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (Files.exists(out)) {
            try (var entries = Files.list(out)) {
                if (!Files.isDirectory(out) || entries.findAny().isPresent()) {
                    throw new UsageException("--out", "--out " + out + ": expected a folder that is empty or does not exist yet");
                }
            }
        }
        TemplateDescriptor descriptor = Templates.load(template);
        Set<BuildParameters> wanted = new LinkedHashSet<>();
        for (String v : variants.isEmpty() ? List.of("default") : variants) {
            List<String> assignments = v.strip().equals("default") ? List.of() : List.of(v.split(","));
            try {
                wanted.add(Parameters.resolve(descriptor, Parameters.parseAssignments(assignments)));
            } catch (RuntimeException e) {
                throw new UsageException("--variant", "--variant " + v + ": " + e.getMessage());
            }
        }
        VariantBuilder builder = cache.builder();
        PrintWriter o = spec.commandLine().getOut();
        List<BundledVariant> entries = new ArrayList<>();
        Files.createDirectories(out);
        for (BuildParameters p : wanted) {
            BuiltVariant built = builder.build(descriptor, p);
            byte[] object = built.result().object().bytes();
            BundledVariant entry = BundledVariant.describe(descriptor, built.parameters(), built.result().object().key(),
                    object, built.info());
            Path file = out.resolve(entry.object());
            Files.createDirectories(file.getParent());
            Files.write(file, object);
            entries.add(entry);
            o.printf("%s -> %s (%d bytes, %s)%n", built.displayName(), entry.object(), object.length,
                    built.result().outcome().name().toLowerCase(java.util.Locale.ROOT));
            o.flush();
        }
        BundleIndex index = new BundleIndex(List.of(BundledTemplate.of(descriptor, entries)));
        Path indexFile = out.resolve(BundleIndex.PATH);
        Files.createDirectories(indexFile.getParent());
        Files.write(indexFile, index.toJson());
        // read back as an agent would: the index parses and every object is there with its digest
        Bundle written = Bundle.open(out);
        for (BundledVariant v : entries) {
            written.object(v);
        }
        o.printf("bundle %s: template %s, %d variant(s)%n", out, descriptor.name(), entries.size());
        o.flush();
        return 0;
    }
}
