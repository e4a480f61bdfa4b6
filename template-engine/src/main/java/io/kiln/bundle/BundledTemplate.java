package io.kiln.bundle;

import io.kiln.template.BuildParameter;
import io.kiln.template.BuildParameters;
import io.kiln.template.ConstantDecl;
import io.kiln.template.MapDecl;
import io.kiln.template.Parameters;
import io.kiln.template.ProgramDecl;
import io.kiln.template.ReasonDecl;
import io.kiln.template.TemplateDescriptor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A template as a bundle carries it: the declarations of its descriptor (so a runtime can validate
 * build parameters and encode constants without the template's files) and its bundled variants, in
 * the order the build declared them. Its verdict reasons and their counter map travel too, so an
 * agent running from bundles labels drop counters by the template's own names.
 */
public record BundledTemplate(String name, List<ProgramDecl> programs, List<BuildParameter> buildParameters,
                              List<ConstantDecl> constants, List<MapDecl> maps, List<ReasonDecl> reasons,
                              Optional<String> reasonCounters, List<BundledVariant> variants) {
    public BundledTemplate {
        reasons = List.copyOf(reasons);
        java.util.Objects.requireNonNull(reasonCounters, "reasonCounters");
        programs = List.copyOf(programs);
        buildParameters = List.copyOf(buildParameters);
        constants = List.copyOf(constants);
        maps = List.copyOf(maps);
        variants = List.copyOf(variants);
    }

    /** A template that declares no reasons. */
    public BundledTemplate(String name, List<ProgramDecl> programs, List<BuildParameter> buildParameters,
                           List<ConstantDecl> constants, List<MapDecl> maps, List<BundledVariant> variants) {
        this(name, programs, buildParameters, constants, maps, List.of(), Optional.empty(), variants);
    }

    /** The declarations of {@code descriptor} with these variants. */
    public static BundledTemplate of(TemplateDescriptor descriptor, List<BundledVariant> variants) {
        return new BundledTemplate(descriptor.name(), descriptor.programs(), descriptor.buildParameters(),
                descriptor.constants(), descriptor.maps(), descriptor.reasons(), descriptor.reasonCounters(), variants);
    }

    /**
     * A descriptor with these declarations, for {@link Parameters#resolve} and
     * {@link io.kiln.template.Constants#encodeAll}. Its files do not exist: the paths only name the
     * template ({@code NAME.template.yaml} in a folder {@code NAME}), so it can never be rendered.
     */
    public TemplateDescriptor descriptor() {
        Path root = Path.of(name);
        return new TemplateDescriptor(name, root, root.resolve(name + ".template.yaml"),
                root.resolve(name + ".bpf.c.ftl"), List.of(), programs, buildParameters, constants, maps, reasons,
                reasonCounters);
    }

    /** The bundled variant with exactly these (complete, validated) build parameters. */
    public Optional<BundledVariant> variant(BuildParameters parameters) {
        return variants.stream().filter(v -> v.parameters().equals(parameters)).findFirst();
    }

    /**
     * The bundled variant for build parameters as a spec gives them (defaults filled in, values
     * validated against the declarations).
     *
     * @throws io.kiln.template.ParameterException for an unknown parameter or a bad value
     */
    public Optional<BundledVariant> variant(Map<String, ?> given) {
        return variant(Parameters.resolve(descriptor(), given));
    }
}
