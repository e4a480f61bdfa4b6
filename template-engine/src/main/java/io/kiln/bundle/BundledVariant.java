package io.kiln.bundle;

import io.kiln.cache.VariantKey;
import io.kiln.Sha256;
import io.kiln.object.MapInfo;
import io.kiln.object.ObjectInfo;
import io.kiln.object.ProgramInfo;
import io.kiln.object.VariableInfo;
import io.kiln.template.BuildParameters;
import io.kiln.template.ConstantDecl;
import io.kiln.template.MapDecl;
import io.kiln.template.MapScope;
import io.kiln.template.ProgramDecl;
import io.kiln.template.TemplateDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One variant in a bundle: its build parameters and key, where its object lies in the bundle
 * ({@code object}, a resource path like {@code META-INF/kiln/objects/hello/<key>.o}) with the
 * object's SHA-256 and size, and what the object declares, joined with the descriptor: programs with
 * their hooks, maps with scope and pinning, constants with their types and {@code .rodata} offsets.
 */
public record BundledVariant(BuildParameters parameters, VariantKey key, String object, String sha256, long size,
                             List<BundledProgram> programs, List<BundledMap> maps,
                             List<BundledConstant> constants) {
    public BundledVariant {
        programs = List.copyOf(programs);
        maps = List.copyOf(maps);
        constants = List.copyOf(constants);
    }

    /**
     * Describes a compiled variant for the index. Programs, maps and constants are listed in the
     * descriptor's order; a declared program or map the object lacks is left out (the build's own
     * checks name such mismatches), and so is anything the object has but the descriptor does not
     * declare.
     */
    public static BundledVariant describe(TemplateDescriptor template, BuildParameters parameters, VariantKey key,
                                          byte[] object, ObjectInfo info) {
        List<BundledProgram> programs = new ArrayList<>();
        for (ProgramDecl p : template.programs()) {
            info.program(p.name()).ifPresent(found -> programs.add(program(p, found)));
        }
        List<BundledMap> maps = new ArrayList<>();
        for (MapDecl m : template.maps()) {
            info.map(m.name()).ifPresent(found -> maps.add(map(m.scope(), m.pinned(), found)));
        }
        List<BundledConstant> constants = new ArrayList<>();
        for (ConstantDecl c : template.constants()) {
            Optional<VariableInfo> found = info.constant(c.name());
            found.ifPresent(v -> constants.add(new BundledConstant(c.name(), c.type(), v.offset(), v.size())));
        }
        return new BundledVariant(parameters, key, objectPath(template.name(), key), Sha256.of(object), object.length,
                programs, maps, constants);
    }

    /** The resource path of a variant's object inside a bundle. */
    public static String objectPath(String template, VariantKey key) {
        return BundleIndex.OBJECTS + template + "/" + key.hex() + ".o";
    }

    private static BundledProgram program(ProgramDecl declared, ProgramInfo found) {
        return new BundledProgram(declared.name(), declared.hook(), found.section(), found.instructions());
    }

    private static BundledMap map(MapScope scope, boolean pinned, MapInfo m) {
        return new BundledMap(m.name(), scope, pinned, m.typeName(), m.keySize(), m.valueSize(), m.maxEntries(),
                m.flags());
    }

    public Optional<BundledProgram> program(String name) {
        return programs.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    public Optional<BundledMap> map(String name) {
        return maps.stream().filter(m -> m.name().equals(name)).findFirst();
    }

    public Optional<BundledConstant> constant(String name) {
        return constants.stream().filter(c -> c.name().equals(name)).findFirst();
    }
}
