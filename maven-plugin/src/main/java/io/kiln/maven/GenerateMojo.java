package io.kiln.maven;

import io.kiln.KilnException;
import io.kiln.bindings.BindingsGenerator;
import io.kiln.bindings.GeneratedSource;
import io.kiln.maven.internal.BuildState;
import io.kiln.maven.internal.FileDigests;
import io.kiln.maven.internal.OutputFiles;
import io.kiln.maven.internal.PlannedVariant;
import io.kiln.maven.internal.ReadyVariant;
import io.kiln.maven.internal.Reporter;
import io.kiln.maven.internal.Staleness;
import io.kiln.maven.internal.TemplateInputs;
import io.kiln.maven.internal.VariantPlan;
import io.kiln.maven.internal.VariantSource;
import io.kiln.template.TemplateDescriptor;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.inject.Inject;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.sonatype.plexus.build.incremental.BuildContext;

/**
 * Generates typed Java bindings for every template: a class {@code <Template>Bpf} with the names of
 * its programs, maps and build parameters, a {@code Constants} record (typed, range-checked, encoded
 * into the bytes {@code BpfObject.setConstant} takes) and key and value records for each map, laid out
 * from the BTF of the template's first variant. The folder is added to the compile source roots; a
 * file is written only when its content changes, and files of templates that are gone are removed.
 */
@Mojo(name = "generate", defaultPhase = LifecyclePhase.GENERATE_SOURCES, threadSafe = true)
public class GenerateMojo extends AbstractKilnMojo {
    /**
     * Package of the generated classes. Default: the project's groupId plus {@code .bpf}, with
     * characters Java does not allow in a package name replaced by {@code _}.
     */
    @Parameter(property = "kiln.bindingsPackage")
    protected String bindingsPackage;

    /** Where the generated sources go; Kiln owns this folder and removes what it did not generate. */
    @Parameter(property = "kiln.bindingsDirectory", defaultValue = "${project.build.directory}/generated-sources/kiln")
    protected File bindingsDirectory;

    private final BuildContext buildContext;

    private long started;

    @Inject
    public GenerateMojo(BuildContext buildContext) {
        super(buildContext);
        this.buildContext = buildContext;
    }

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        started = System.nanoTime();
        if (skip) {
            getLog().info("kiln: generate skipped (kiln.skip)");
            return;
        }
        Path out = bindingsDirectory.toPath().toAbsolutePath().normalize();
        String javaPackage = javaPackage();
        String config = configDigest("generate", "package=" + javaPackage, "bindings=" + out);
        Optional<List<String>> same = unchanged("generate", config);
        if (same.isPresent()) {
            sayUnchanged(same.get(), started);
            project.addCompileSourceRoot(out.toString());
            return;
        }
        List<TemplateDescriptor> found = findTemplates("generate");
        try {
            if (found.isEmpty()) {
                getLog().info("kiln: no templates under " + templatesDir() + "; no bindings to generate");
                OutputFiles.removeAllBut(out, Set.of());
                return;
            }
            generate(plan(found), out, config);
        } catch (IOException e) {
            throw new MojoExecutionException("kiln: cannot write bindings to " + out + ": " + e, e);
        }
        project.addCompileSourceRoot(out.toString());
    }

    private void generate(VariantPlan plan, Path out, String config) throws IOException, MojoFailureException {
        BindingsGenerator generator;
        try {
            generator = new BindingsGenerator(javaPackage());
        } catch (KilnException e) {
            throw new MojoFailureException(this, "kiln: " + e.getMessage(), "Set <bindingsPackage> (kiln.bindingsPackage)"
                    + " to a valid Java package name: " + e.getMessage());
        }
        List<PlannedVariant> firsts = new ArrayList<>();
        Map<String, List<Path>> inputs = new HashMap<>();
        for (Map.Entry<TemplateDescriptor, List<PlannedVariant>> e : plan.byTemplate().entrySet()) {
            firsts.add(e.getValue().get(0));
            inputs.put(e.getKey().name(), TemplateInputs.of(e.getKey()));
        }
        String pluginStamp = pluginStamp();
        BuildState previous = BuildState.read(stateFile(), pluginStamp);
        Path output = outputDirectory.toPath().toAbsolutePath().normalize();
        Staleness staleness = new Staleness(previous, pluginStamp, clangSetting(), new FileDigests(), output, names());
        Reporter reporter = reporter();
        VariantSource.Outcome outcome;
        try {
            outcome = new VariantSource(previous, staleness, output, this::builder, getLog()).obtain(firsts, inputs);
        } catch (KilnException e) {
            throw reporter.failure("kiln:generate", List.of(e));
        }
        if (!outcome.errors().isEmpty()) {
            throw reporter.failure("kiln:generate", outcome.errors());
        }
        Set<Path> keep = new HashSet<>();
        int written = 0;
        for (ReadyVariant r : outcome.ready()) {
            GeneratedSource source = generator.generate(r.variant().template(), r.info(), r.variant().displayName());
            Path file = out.resolve(source.relativePath()).toAbsolutePath().normalize();
            keep.add(file);
            if (OutputFiles.writeIfChanged(file, source.text().getBytes(StandardCharsets.UTF_8))) {
                written++;
                buildContext.refresh(file.toFile());
                getLog().info("kiln: wrote " + source.className() + " (bindings of " + r.variant().displayName() + ")");
            }
        }
        List<Path> removed = OutputFiles.removeAllBut(out, keep);
        removed.forEach(p -> getLog().info("kiln: removed stale bindings " + p));
        String said = "kiln: bindings of " + keep.size() + " template(s) in package " + generator.javaPackage() + ": ";
        getLog().info(said + written + " written, " + (keep.size() - written) + " unchanged ("
                + (System.nanoTime() - started) / 1_000_000 + " ms)");
        List<Path> objects = new ArrayList<>();
        for (ReadyVariant r : outcome.ready()) {
            objects.add(output.resolve(io.kiln.bundle.BundledVariant.objectPath(r.variant().template().name(), r.key())));
        }
        objects.add(stateFile());
        recordUnchanged("generate", config, inputRoots(templatesDir(), plan.byTemplate().keySet()),
                otherInputs(previous), List.of(out), objects, List.of(said + "0 written, " + keep.size() + " unchanged"));
    }

    private String javaPackage() {
        if (bindingsPackage != null && !bindingsPackage.isBlank()) {
            return bindingsPackage.trim();
        }
        StringBuilder b = new StringBuilder();
        for (String part : (project.getGroupId() + ".bpf").split("\\.")) {
            String p = part.replaceAll("[^A-Za-z0-9_]", "_");
            b.append(b.length() == 0 ? "" : ".").append(Character.isJavaIdentifierStart(p.charAt(0)) ? p : "_" + p);
        }
        return b.toString();
    }
}
