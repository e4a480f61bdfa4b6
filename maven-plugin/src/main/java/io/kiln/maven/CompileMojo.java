package io.kiln.maven;

import io.kiln.KilnException;
import io.kiln.Sha256;
import io.kiln.bindings.BindingsGenerator;
import io.kiln.bundle.BundleIndex;
import io.kiln.compile.Clang;
import io.kiln.maven.internal.BuildState;
import io.kiln.maven.internal.BundleWriter;
import io.kiln.maven.internal.CompilerStamp;
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
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.inject.Inject;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.sonatype.plexus.build.incremental.BuildContext;

/**
 * Renders and compiles every declared variant of every template (through the shared object cache,
 * so a variant is compiled once per machine) and writes the objects with
 * {@code META-INF/kiln/index.json} into the output folder: the project's jar is then a bundle the
 * runtime loads without clang. Incremental: a variant whose descriptor, FreeMarker files, headers,
 * clang and object are unchanged since the last build is neither rendered nor compiled, and the log
 * says why each other variant is rebuilt.
 */
@Mojo(name = "compile", defaultPhase = LifecyclePhase.PROCESS_RESOURCES, threadSafe = true)
public class CompileMojo extends AbstractKilnMojo {
    /**
     * The build's reproducibility timestamp. Kiln writes nothing time-dependent, and leaves file times
     * alone so other plugins' up-to-date checks keep working; the jar plugin applies this timestamp to
     * the jar's entries. Without it the jar carries build times: Kiln warns.
     */
    @Parameter(defaultValue = "${project.build.outputTimestamp}")
    protected String outputTimestamp;

    private long started;

    @Inject
    public CompileMojo(BuildContext buildContext) {
        super(buildContext);
    }

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        started = System.nanoTime();
        if (skip) {
            getLog().info("kiln: compile skipped (kiln.skip)");
            return;
        }
        boolean noTimestamp = outputTimestamp == null || outputTimestamp.isBlank();
        String config = configDigest("compile", "outputTimestamp set=" + !noTimestamp);
        Optional<List<String>> same = unchanged("compile", config);
        if (same.isPresent()) {
            if (noTimestamp) {
                warnNoTimestamp();
            }
            sayUnchanged(same.get(), started);
            return;
        }
        List<TemplateDescriptor> found = findTemplates("compile");
        Path output = outputDirectory.toPath().toAbsolutePath().normalize();
        try {
            if (found.isEmpty()) {
                getLog().info("kiln: no templates under " + templatesDir() + "; nothing to compile");
                if (BundleWriter.remove(output)) {
                    getLog().info("kiln: removed the bundle an earlier build left in " + output);
                }
                return;
            }
            if (noTimestamp) {
                warnNoTimestamp();
            }
            compile(plan(found), output, config);
        } catch (IOException e) {
            throw new MojoExecutionException("kiln: cannot write the bundle in " + output + ": " + e, e);
        }
    }

    private void warnNoTimestamp() {
        getLog().warn("kiln: project.build.outputTimestamp is not set: the jar will not be reproducible");
    }

    private void compile(VariantPlan plan, Path output, String config) throws IOException, MojoFailureException {
        Reporter reporter = reporter();
        Map<String, List<Path>> inputs = new HashMap<>();
        List<Path> allInputs = new ArrayList<>();
        for (TemplateDescriptor t : plan.byTemplate().keySet()) {
            inputs.put(t.name(), TemplateInputs.of(t));
            allInputs.addAll(inputs.get(t.name()));
        }
        reporter.clear(allInputs);
        String pluginStamp = pluginStamp();
        BuildState previous = BuildState.read(stateFile(), pluginStamp);
        FileDigests digests = new FileDigests();
        Staleness staleness = new Staleness(previous, pluginStamp, clangSetting(), digests, output, names());
        VariantSource.Outcome outcome;
        try {
            outcome = new VariantSource(previous, staleness, output, this::builder, getLog()).obtain(plan.all(), inputs);
        } catch (KilnException e) {
            throw reporter.failure("kiln:compile", List.of(e));
        }
        if (!outcome.errors().isEmpty()) {
            throw reporter.failure("kiln:compile", outcome.errors());
        }
        BundleWriter.Written written = BundleWriter.write(output, outcome.ready(), digests);
        BuildState state = newState(previous, pluginStamp, outcome, inputs, digests);
        OutputFiles.writeIfChanged(stateFile(), state.toText());
        List<String> notes = layoutDifferences(plan, outcome.ready());
        notes.forEach(getLog()::info);
        getLog().info("kiln: " + outcome.ready().size() + " variant(s) of " + plan.byTemplate().size()
                + " template(s): " + outcome.compiled() + " compiled by clang, " + outcome.cached()
                + " from the object cache, " + outcome.upToDate() + " up to date; "
                + (written.objectsWritten() + (written.indexWritten() ? 1 : 0)) + " file(s) written"
                + (written.removed().isEmpty() ? "" : ", " + written.removed().size() + " stale object(s) removed")
                + (written.indexWritten() ? "" : "; bundle index unchanged")
                + " (" + (System.nanoTime() - started) / 1_000_000 + " ms)");
        List<String> outcomeLines = new ArrayList<>(notes);
        outcomeLines.add("kiln: " + outcome.ready().size() + " variant(s) of " + plan.byTemplate().size()
                + " template(s): 0 compiled by clang, 0 from the object cache, " + outcome.ready().size()
                + " up to date; 0 file(s) written; bundle index unchanged");
        recordUnchanged("compile", config, inputRoots(templatesDir(), plan.byTemplate().keySet()), otherInputs(state),
                List.of(output.resolve(BundleIndex.OBJECTS)), List.of(output.resolve(BundleIndex.PATH), stateFile()),
                outcomeLines);
    }

    private BuildState newState(BuildState previous, String pluginStamp, VariantSource.Outcome outcome,
                                Map<String, List<Path>> inputs, FileDigests digests) {
        CompilerStamp compiler = previous.compiler();
        if (outcome.compiled() + outcome.cached() > 0 || compiler == null) {
            Clang used = builder().cache().compiler().clang();
            compiler = CompilerStamp.of(clangSetting(), used.path());
        }
        Map<String, BuildState.VariantState> variants = new LinkedHashMap<>();
        for (ReadyVariant r : outcome.ready()) {
            PlannedVariant v = r.variant();
            Map<String, String> in = new LinkedHashMap<>();
            for (Path p : inputs.get(v.template().name())) {
                in.put(p.toString(), digests.of(p));
            }
            Map<String, String> headers = new LinkedHashMap<>();
            for (Path h : r.headers()) {
                headers.put(h.toString(), digests.of(h));
            }
            String object = io.kiln.bundle.BundledVariant.objectPath(v.template().name(), r.key());
            variants.put(v.displayName(), new BuildState.VariantState(r.key().hex(), object, Sha256.of(r.object()),
                    in, headers));
        }
        return BuildState.of(pluginStamp, compiler, variants);
    }

    /** Bindings follow a template's first variant; where other variants lay a map out differently, in words. */
    private static List<String> layoutDifferences(VariantPlan plan, List<ReadyVariant> ready) {
        List<String> notes = new ArrayList<>();
        for (TemplateDescriptor t : plan.byTemplate().keySet()) {
            List<ReadyVariant> of = ready.stream().filter(r -> r.variant().template().equals(t)).toList();
            for (int i = 1; i < of.size(); i++) {
                for (String d : BindingsGenerator.layoutDifferences(of.get(0).info(), of.get(0).variant().displayName(),
                        of.get(i).info(), of.get(i).variant().displayName())) {
                    notes.add("kiln: template " + t.name() + ": " + d + "; generated bindings follow "
                            + of.get(0).variant().displayName());
                }
            }
        }
        return notes;
    }
}
