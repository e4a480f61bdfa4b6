package io.kiln.template;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A validated template: the descriptor {@code NAME.template.yaml} and its FreeMarker source
 * {@code NAME.bpf.c.ftl}, both in {@code root}. {@code includeDirs} are absolute folders searched
 * for C headers and FreeMarker includes, {@code root} first. {@code compile} holds the descriptor's
 * {@code compile:} section (BPF CPU version and extra clang flags). {@code reasons} are the verdict
 * reasons its programs count packets under; {@code reasonCounters} names the map that counts them
 * (per CPU, key {@code direction * ReasonDecl.SLOTS + code}, value packets and bytes), if any.
 */
public record TemplateDescriptor(String name, Path root, Path descriptorFile, Path templateFile,
                                 List<Path> includeDirs, List<ProgramDecl> programs,
                                 List<BuildParameter> buildParameters, List<ConstantDecl> constants,
                                 List<MapDecl> maps, CompileOptions compile, List<ReasonDecl> reasons,
                                 Optional<String> reasonCounters) {
    public TemplateDescriptor {
        java.util.Objects.requireNonNull(compile, "compile");
        includeDirs = List.copyOf(includeDirs);
        programs = List.copyOf(programs);
        buildParameters = List.copyOf(buildParameters);
        constants = List.copyOf(constants);
        maps = List.copyOf(maps);
        reasons = List.copyOf(reasons);
        reasonCounters = java.util.Objects.requireNonNull(reasonCounters, "reasonCounters");
    }

    /** A template that declares no reasons, with a {@code compile:} section. */
    public TemplateDescriptor(String name, Path root, Path descriptorFile, Path templateFile, List<Path> includeDirs,
                              List<ProgramDecl> programs, List<BuildParameter> buildParameters,
                              List<ConstantDecl> constants, List<MapDecl> maps, CompileOptions compile) {
        this(name, root, descriptorFile, templateFile, includeDirs, programs, buildParameters, constants, maps,
                compile, List.of(), Optional.empty());
    }

    /** A template with reasons and without a {@code compile:} section ({@link CompileOptions#DEFAULT}). */
    public TemplateDescriptor(String name, Path root, Path descriptorFile, Path templateFile, List<Path> includeDirs,
                              List<ProgramDecl> programs, List<BuildParameter> buildParameters,
                              List<ConstantDecl> constants, List<MapDecl> maps, List<ReasonDecl> reasons,
                              Optional<String> reasonCounters) {
        this(name, root, descriptorFile, templateFile, includeDirs, programs, buildParameters, constants, maps,
                CompileOptions.DEFAULT, reasons, reasonCounters);
    }

    /** A template that declares no reasons and has no {@code compile:} section. */
    public TemplateDescriptor(String name, Path root, Path descriptorFile, Path templateFile, List<Path> includeDirs,
                              List<ProgramDecl> programs, List<BuildParameter> buildParameters,
                              List<ConstantDecl> constants, List<MapDecl> maps) {
        this(name, root, descriptorFile, templateFile, includeDirs, programs, buildParameters, constants, maps,
                CompileOptions.DEFAULT, List.of(), Optional.empty());
    }

    public Optional<ReasonDecl> reason(String name) {
        return reasons.stream().filter(r -> r.name().equals(name)).findFirst();
    }

    public Optional<BuildParameter> buildParameter(String name) {
        return buildParameters.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    public Optional<ConstantDecl> constant(String name) {
        return constants.stream().filter(c -> c.name().equals(name)).findFirst();
    }

    public Optional<MapDecl> map(String name) {
        return maps.stream().filter(m -> m.name().equals(name)).findFirst();
    }
}
