package io.kiln.maven;

import io.kiln.KilnException;
import io.kiln.bpf.Features;
import io.kiln.bpf.LibbpfVersion;
import io.kiln.bundle.Bundle;
import io.kiln.bundle.BundleIndex;
import io.kiln.bundle.BundledProgram;
import io.kiln.bundle.BundledTemplate;
import io.kiln.bundle.BundledVariant;
import io.kiln.maven.internal.ConfigurationException;
import io.kiln.maven.internal.OutputFiles;
import io.kiln.maven.internal.PlannedVariant;
import io.kiln.maven.internal.ValueSets;
import io.kiln.maven.internal.VerifierRun;
import io.kiln.maven.internal.VerifyReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import javax.inject.Inject;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.sonatype.plexus.build.incremental.BuildContext;

/**
 * Loads every variant of the bundle into the kernel's verifier, once per set of endpoint constant
 * values that matters (see {@code kiln.verify.valueSets}): a branch dead under the compiled values is
 * never verified, so an object that passes with them can still be rejected for some endpoint. Reports
 * per program the instructions the verifier processed and its verification time (the largest over the
 * value sets), and writes them to {@code verify-report.json}. Needs BPF privileges (root, or CAP_BPF
 * with CAP_NET_ADMIN): without them the goal is skipped with a warning, or fails when
 * {@code kiln.verify.required} is set.
 */
@Mojo(name = "verify", defaultPhase = LifecyclePhase.VERIFY, threadSafe = true)
public class VerifyMojo extends AbstractKilnMojo {
    /** Fail instead of skipping when this machine cannot load BPF programs. */
    @Parameter(property = "kiln.verify.required", defaultValue = "false")
    protected boolean required;

    /** Skips this goal only. */
    @Parameter(property = "kiln.verify.skip", defaultValue = "false")
    protected boolean skipVerify;

    /**
     * Constant value sets each variant is loaded with, comma separated, from: compiled, zero, one, max,
     * mixed, mixed-inverse.
     */
    @Parameter(property = "kiln.verify.valueSets", defaultValue = "compiled,zero,one,max,mixed,mixed-inverse")
    protected String valueSets;

    @Inject
    public VerifyMojo(BuildContext buildContext) {
        super(buildContext);
    }

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        if (skip || skipVerify) {
            getLog().info("kiln: verify skipped (" + (skip ? "kiln.skip" : "kiln.verify.skip") + ")");
            return;
        }
        Path output = outputDirectory.toPath().toAbsolutePath().normalize();
        if (!Files.isRegularFile(output.resolve(BundleIndex.PATH))) {
            if (findTemplates("verify").isEmpty()) {
                getLog().info("kiln: no templates under " + templatesDir() + "; nothing to verify");
                return;
            }
            throw new MojoFailureException(this, "kiln:verify: no bundle in " + output + "; run kiln:compile first",
                    "kiln:verify loads the objects kiln:compile writes to " + output.resolve(BundleIndex.PATH)
                            + "; bind kiln:compile (process-resources) as well.");
        }
        Optional<String> missing = missingPrivileges();
        if (missing.isPresent()) {
            String why = "kiln:verify: this build cannot load BPF programs: " + missing.get();
            if (required) {
                throw new MojoFailureException(this, why, why + "\nkiln.verify.required is set, so this fails the"
                        + " build; run it as root (or with CAP_BPF and CAP_NET_ADMIN), or unset kiln.verify.required.");
            }
            getLog().warn(why + "; skipped (set kiln.verify.required=true to fail instead)");
            return;
        }
        try {
            verify(Bundle.open(output));
        } catch (ConfigurationException e) {
            throw new MojoFailureException(this, "kiln: " + e.getMessage(), e.getMessage());
        } catch (KilnException e) {
            throw reporter().failure("kiln:verify", List.of(e));
        } catch (IOException e) {
            throw new MojoExecutionException("kiln:verify: cannot write its report: " + e, e);
        }
    }

    private void verify(Bundle bundle) throws IOException, MojoFailureException {
        List<String> names = Arrays.asList(valueSets.split(","));
        VerifyReport report = new VerifyReport();
        List<KilnException> rejections = new ArrayList<>();
        for (BundledTemplate t : bundle.index().templates()) {
            for (BundledVariant v : t.variants()) {
                String variant = new PlannedVariant(t.descriptor(), v.parameters()).displayName();
                byte[] object = bundle.object(v);
                for (ValueSets.ValueSet set : ValueSets.of(v.constants(), names)) {
                    try {
                        VerifierRun.Load load = VerifierRun.load(object, t.name(), set.values());
                        report.add(variant, set.name(), load);
                    } catch (KilnException e) {
                        rejections.add(new KilnException("template " + t.name() + ": variant " + variant
                                + ": constants " + set.name() + ": " + e.getMessage(), e));
                        break; // the first value set that fails says enough about this variant
                    }
                }
                for (String line : report.summary(variant, v.programs().stream()
                        .collect(java.util.stream.Collectors.toMap(BundledProgram::name, p -> p.hook().yamlName())))) {
                    getLog().info(line);
                }
            }
        }
        Path file = stateDirectory.toPath().resolve("verify-report.json");
        OutputFiles.writeIfChanged(file, report.toJson());
        if (!rejections.isEmpty()) {
            throw reporter().failure("kiln:verify", rejections);
        }
        getLog().info("kiln: verified " + report.variantCount() + " variant(s), " + report.loadCount()
                + " load(s); figures in " + file);
    }

    /** Why this process cannot load BPF programs, or empty when it can. */
    private static Optional<String> missingPrivileges() {
        try {
            LibbpfVersion.current();
            Features.testRunSchedCls();
            return Optional.empty();
        } catch (KilnException e) {
            return Optional.of(e.getMessage());
        } catch (LinkageError e) {
            return Optional.of("libbpf cannot be used from Java: " + e);
        }
    }
}
