package io.kiln.maven;

import io.kiln.KilnException;
import io.kiln.build.VariantBuilder;
import io.kiln.cache.ObjectStore;
import io.kiln.maven.internal.BuildState;
import io.kiln.maven.internal.Builders;
import io.kiln.maven.internal.CompilerStamp;
import io.kiln.maven.internal.ConfigurationException;
import io.kiln.maven.internal.PathNames;
import io.kiln.maven.internal.NoChangeStamp;
import io.kiln.maven.internal.Reporter;
import io.kiln.maven.internal.TemplateScan;
import io.kiln.maven.internal.VariantPlan;
import io.kiln.template.TemplateDescriptor;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugin.descriptor.PluginDescriptor;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;
import org.sonatype.plexus.build.incremental.BuildContext;

/** What every Kiln goal shares: where templates are, which variants to build, the object cache and clang. */
abstract class AbstractKilnMojo extends AbstractMojo {
    /** Skips every Kiln goal. */
    @Parameter(property = "kiln.skip", defaultValue = "false")
    protected boolean skip;

    /**
     * Folder searched for templates: every {@code NAME.template.yaml} below it (beside its
     * {@code NAME.bpf.c.ftl}) is one. Folders without a descriptor, such as shared headers, are not templates.
     */
    @Parameter(property = "kiln.templatesDirectory", defaultValue = "${project.basedir}/src/main/bpf")
    protected File templatesDirectory;

    /**
     * The variants to build, per template: explicit sets of build parameters and/or the matrix of its
     * bool and enum parameters (see {@link Template}). A template not listed builds its default variant
     * (or its matrix, with {@code kiln.matrix}). Configured in the POM only.
     */
    @Parameter
    protected List<Template> templates = new ArrayList<>();

    /** Builds the matrix of every template the {@code templates} list does not mention. */
    @Parameter(property = "kiln.matrix", defaultValue = "false")
    protected boolean matrix;

    /**
     * The object cache on disk, shared by builds, the CLI and the agent of this machine. Default:
     * env {@code KILN_CACHE_DIR}, else {@code ~/.cache/kiln}.
     */
    @Parameter(property = "kiln.cacheDirectory")
    protected File cacheDirectory;

    /** Bound on the object cache's size on disk, in bytes; least recently used objects go first. Default 1 GiB. */
    @Parameter(property = "kiln.cacheMaxBytes", defaultValue = "1073741824")
    protected long cacheMaxBytes;

    /** The clang to use. Default: env {@code KILN_CLANG}, else {@code clang} (or {@code clang-19} ... {@code clang-11}) on PATH. */
    @Parameter(property = "kiln.clang")
    protected File clang;

    /** Time limit for one clang run, in seconds. */
    @Parameter(property = "kiln.clangTimeout", defaultValue = "" + VariantBuilder.DEFAULT_CLANG_TIMEOUT_SECONDS)
    protected int clangTimeout;

    /** clang processes run at once, for all modules of the build together; 0 means one per processor. */
    @Parameter(property = "kiln.threads", defaultValue = "0")
    protected int threads;

    /**
     * The bundle: where {@code kiln:compile} writes objects and {@code META-INF/kiln/index.json}, and
     * where {@code kiln:generate} and {@code kiln:verify} find them.
     */
    @Parameter(property = "kiln.outputDirectory", defaultValue = "${project.build.outputDirectory}")
    protected File outputDirectory;

    /** Where Kiln keeps what it needs between builds ({@code build-state.txt}, {@code verify-report.json}). */
    @Parameter(property = "kiln.stateDirectory", defaultValue = "${project.build.directory}/kiln")
    protected File stateDirectory;

    @Parameter(defaultValue = "${project}", readonly = true, required = true)
    protected MavenProject project;

    @Parameter(defaultValue = "${plugin}", readonly = true, required = true)
    protected PluginDescriptor plugin;

    private final BuildContext buildContext;

    protected AbstractKilnMojo(BuildContext buildContext) {
        this.buildContext = buildContext;
    }

    protected Reporter reporter() {
        return new Reporter(getLog(), buildContext);
    }

    protected Path templatesDir() {
        return templatesDirectory.toPath().toAbsolutePath().normalize();
    }

    protected PathNames names() {
        return new PathNames(templatesDir(), project.getBasedir().toPath());
    }

    /** The templates under {@link #templatesDirectory}; a bad descriptor fails the build naming file, line and field. */
    protected List<TemplateDescriptor> findTemplates(String goal) throws MojoFailureException, MojoExecutionException {
        try {
            return TemplateScan.load(templatesDir());
        } catch (KilnException e) {
            throw reporter().failure("kiln:" + goal, List.of(e));
        } catch (IOException e) {
            throw new MojoExecutionException("kiln: cannot search " + templatesDir() + " for templates: " + e, e);
        }
    }

    protected VariantPlan plan(List<TemplateDescriptor> found) throws MojoFailureException {
        try {
            return VariantPlan.of(found, templates == null ? List.of() : templates, matrix);
        } catch (ConfigurationException e) {
            throw new MojoFailureException(this, "kiln: " + e.getMessage(), "The plugin's <configuration> in "
                    + project.getFile() + ": " + e.getMessage());
        }
    }

    /** Version and build of this plugin: a build state from another plugin build is not trusted. */
    protected String pluginStamp() {
        File jar = plugin.getPluginArtifact() == null ? null : plugin.getPluginArtifact().getFile();
        String build = jar != null && jar.isFile() ? ":" + jar.length() + ":" + jar.lastModified() : "";
        return plugin.getVersion() + build;
    }

    protected String clangSetting() {
        return CompilerStamp.setting(clang == null ? null : clang.toPath());
    }

    /** The session's shared builder for this configuration (created, and clang located, on first use). */
    protected VariantBuilder builder() {
        Path store = cacheDirectory != null ? cacheDirectory.toPath().toAbsolutePath() : ObjectStore.defaultDir();
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        return Builders.get(new Builders.Settings(store, cacheMaxBytes, clang == null ? null : clang.toPath(),
                Duration.ofSeconds(clangTimeout), n));
    }

    protected Path stateFile() {
        return stateDirectory.toPath().resolve("build-state.txt");
    }

    /** Where {@code goal} keeps its {@link NoChangeStamp}. */
    protected Path noChangeFile(String goal) {
        return stateDirectory.toPath().resolve("no-change-" + goal + ".txt");
    }

    /**
     * The digest of every setting both goals share plus {@code more}: a change to any of them makes the
     * next run do the full up-to-date check.
     */
    protected String configDigest(String goal, String... more) {
        List<String> settings = new ArrayList<>(List.of(goal, pluginStamp(), clangSetting(), templatesDir().toString(),
                Boolean.toString(matrix), outputDirectory.toPath().toAbsolutePath().normalize().toString(),
                stateDirectory.toPath().toAbsolutePath().normalize().toString(), String.valueOf(cacheDirectory)));
        for (Template t : templates == null ? List.<Template>of() : templates) {
            settings.add("template " + t.getName() + " matrix=" + t.isMatrix() + " variants=" + t.getVariants()
                    + " excludes=" + t.getExcludes());
        }
        settings.addAll(List.of(more));
        return NoChangeStamp.configDigest(settings);
    }

    /**
     * The recorded no-change outcome of {@code goal}, when nothing it looked at last time changed.
     * Never inside an IDE's incremental build, whose build context tracks changes its own way.
     */
    protected Optional<List<String>> unchanged(String goal, String config) {
        if (buildContext.isIncremental()) {
            return Optional.empty();
        }
        return NoChangeStamp.check(noChangeFile(goal), config);
    }

    /** Says a recorded no-change outcome; its last line gets this run's time. */
    protected void sayUnchanged(List<String> lines, long startedNanos) {
        for (int i = 0; i < lines.size(); i++) {
            getLog().info(lines.get(i) + (i == lines.size() - 1
                    ? " (" + (System.nanoTime() - startedNanos) / 1_000_000 + " ms)" : ""));
        }
    }

    /** Records {@code goal}'s no-change outcome; a failure to record costs only the next build's shortcut. */
    protected void recordUnchanged(String goal, String config, Collection<Path> roots, Collection<Path> inputs,
                                   Collection<Path> outputRoots, Collection<Path> outputs, List<String> outcome) {
        try {
            NoChangeStamp.record(noChangeFile(goal), config, roots, inputs, outputRoots, outputs, outcome);
        } catch (IOException | RuntimeException e) {
            getLog().debug("kiln: no no-change stamp for " + goal + ": " + e);
        }
    }

    /** The folders a template may read from: the templates folder and every include folder. */
    protected static List<Path> inputRoots(Path templatesDir, Collection<TemplateDescriptor> templates) {
        List<Path> roots = new ArrayList<>(List.of(templatesDir));
        for (TemplateDescriptor t : templates) {
            t.includeDirs().forEach(d -> roots.add(d.toAbsolutePath().normalize()));
        }
        return roots;
    }

    /** Every file the variants' objects were compiled from outside the input folders, and the clang that did it. */
    protected static List<Path> otherInputs(BuildState state) {
        List<Path> files = new ArrayList<>();
        state.variants().values().forEach(v -> v.headers().keySet().forEach(h -> files.add(Path.of(h))));
        if (state.compiler() != null) {
            files.add(Path.of(state.compiler().path()));
        }
        return files;
    }
}
