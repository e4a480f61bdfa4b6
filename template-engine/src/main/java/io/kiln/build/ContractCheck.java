package io.kiln.build;

import io.kiln.object.MapInfo;
import io.kiln.object.ObjectInfo;
import io.kiln.object.ProgramInfo;
import io.kiln.template.DescriptorException;
import io.kiln.template.Hook;
import io.kiln.template.MapDecl;
import io.kiln.template.ProgramDecl;
import io.kiln.template.TemplateDescriptor;
import io.kiln.yaml.LocatedNode;
import io.kiln.yaml.LocatedTreeReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A compiled object against the programs and maps of its descriptor, both ways: the runtime opens
 * every declared program and map of every variant by name, and pins only declared maps, so a
 * difference would otherwise show on some node when an endpoint loads the variant, or not at all.
 * Only BTF-defined maps of {@code .maps} count: libbpf's internal maps ({@code .rodata}, {@code .data},
 * {@code .bss}, {@code .kconfig}, {@code .rodata.*}) are global variables, not declarations.
 */
final class ContractCheck {
    private ContractCheck() {
    }

    static void verify(TemplateDescriptor template, ObjectInfo info, String variantName) {
        List<Pending> problems = new ArrayList<>();
        Set<String> declaredPrograms = template.programs().stream().map(ProgramDecl::name).collect(Collectors.toSet());
        Set<String> declaredMaps = template.maps().stream().map(MapDecl::name).collect(Collectors.toSet());
        for (ProgramDecl p : template.programs()) {
            var found = info.program(p.name());
            if (found.isEmpty()) {
                problems.add(new Pending("programs", p.name(), "program " + p.name() + " (hook " + p.hook().yamlName()
                        + ") is declared but the object has no such program; it has: " + names(info.programs().stream()
                        .map(ProgramInfo::name).toList()) + ". Define it in every variant, e.g. "
                        + "SEC(\"" + sectionFor(p.hook()) + "\") int " + p.name() + "(...)"));
            } else if (!fits(p.hook(), found.get().section())) {
                problems.add(new Pending("programs", p.name(), "program " + p.name() + " is declared with hook "
                        + p.hook().yamlName() + " but is in section SEC(\"" + found.get().section() + "\"); expected "
                        + "SEC(\"" + sectionFor(p.hook()) + "\")"));
            }
        }
        for (ProgramInfo p : info.programs()) {
            if (!declaredPrograms.contains(p.name())) {
                problems.add(new Pending(null, p.name(), "program " + p.name() + " (SEC(\"" + p.section()
                        + "\")) is in the object but not declared under programs: in the descriptor; declare it"
                        + " (programs: { " + p.name() + ": { hook: ... } }) or make it a static function"));
            }
        }
        for (MapDecl m : template.maps()) {
            if (info.map(m.name()).isEmpty()) {
                problems.add(new Pending("maps", m.name(), "map " + m.name() + " (scope " + m.scope().yamlName()
                        + ") is declared but the object has no such map in SEC(\".maps\"); it has: "
                        + names(info.maps().stream().map(MapInfo::name).toList()) + ". Define it in every variant"
                        + " (outside any build-parameter conditional), or declare it only where it exists"));
            }
        }
        for (MapInfo m : info.maps()) {
            if (!declaredMaps.contains(m.name())) {
                problems.add(new Pending(null, m.name(), "map " + m.name() + " (" + m.typeName() + ", "
                        + m.maxEntries() + " entries) is in the object but not declared under maps: in the"
                        + " descriptor; declare it (maps: { " + m.name() + ": { scope: endpoint } } or scope: node)"
                        + " or remove it from the source"));
            }
        }
        if (problems.isEmpty()) {
            return;
        }
        LocatedNode.Mapping tree = readAgain(template.descriptorFile());
        List<ContractMismatchException.Mismatch> mismatches = new ArrayList<>();
        for (Pending p : problems) {
            String field = p.section == null ? "" : p.section + "." + p.name;
            mismatches.add(new ContractMismatchException.Mismatch(lineOf(tree, p.section, p.name), field, p.message));
        }
        StringBuilder message = new StringBuilder("template " + template.name() + ": variant " + variantName
                + ": the object does not match " + template.descriptorFile() + ":");
        for (ContractMismatchException.Mismatch m : mismatches) {
            message.append("\n  ").append(m.line() > 0 ? "line " + m.line() + ": " : "").append(m.message());
        }
        throw new ContractMismatchException(message.toString(), template.name(), variantName,
                template.descriptorFile(), mismatches);
    }

    private record Pending(String section, String name, String message) {
    }

    /** The section name Kiln's templates use for a hook; libbpf also accepts the others {@link #fits} allows. */
    private static String sectionFor(Hook hook) {
        return hook == Hook.XDP ? "xdp" : "tc";
    }

    private static boolean fits(Hook hook, String section) {
        if (hook == Hook.XDP) {
            return section.equals("xdp") || section.startsWith("xdp/") || section.startsWith("xdp.");
        }
        return section.equals("tc") || section.equals("classifier") || section.startsWith("tc/")
                || section.startsWith("tcx/") || section.startsWith("classifier/");
    }

    private static String names(List<String> names) {
        return names.isEmpty() ? "none" : String.join(", ", names);
    }

    /** The descriptor as a located tree, for lines only; null when it is gone (a bundled template). */
    private static LocatedNode.Mapping readAgain(Path file) {
        try {
            if (file == null || !Files.isRegularFile(file)) {
                return null;
            }
            LocatedNode node = LocatedTreeReader.read(Files.readString(file), LocatedTreeReader.Syntax.YAML,
                    new LocatedTreeReader.Wording("", "descriptors", ""),
                    (line, column, field, reason, cause) -> new DescriptorException(file, line, column, field, reason,
                            cause));
            return node instanceof LocatedNode.Mapping m ? m : null;
        } catch (IOException | RuntimeException e) {
            return null; // the lines are a help; the mismatch is reported without them
        }
    }

    private static int lineOf(LocatedNode.Mapping tree, String section, String name) {
        if (tree == null || section == null) {
            return 0;
        }
        LocatedNode.Entry s = tree.entries().get(section);
        if (s == null || !(s.value() instanceof LocatedNode.Mapping m) || !m.entries().containsKey(name)) {
            return 0;
        }
        return m.entries().get(name).line();
    }
}
