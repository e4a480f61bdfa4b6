package io.kiln.template.internal;

import io.kiln.template.BuildParameter;
import io.kiln.template.CompileOptions;
import io.kiln.template.ConstantDecl;
import io.kiln.template.ConstantType;
import io.kiln.template.DescriptorException;
import io.kiln.template.Hook;
import io.kiln.template.MapDecl;
import io.kiln.template.MapScope;
import io.kiln.template.ProgramDecl;
import io.kiln.template.ReasonDecl;
import io.kiln.template.TemplateDescriptor;
import io.kiln.yaml.LocatedFields;
import io.kiln.yaml.LocatedNode;
import io.kiln.yaml.LocatedTreeReader;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Reads a {@code NAME.template.yaml} descriptor into a validated {@link TemplateDescriptor}.
 * The first problem found, in file order, is thrown as a {@link DescriptorException}.
 */
public final class DescriptorReader {
    public static final String DESCRIPTOR_SUFFIX = ".template.yaml";
    public static final String SOURCE_SUFFIX = ".bpf.c.ftl";

    private static final LocatedTreeReader.Wording WORDING = new LocatedTreeReader.Wording(
            "a descriptor holds one YAML document, found a second one", "descriptors", "YAML ");

    private static final List<String> TOP_LEVEL = List.of("name", "includes", "programs", "build", "constants", "maps",
            "compile", "reasons", "reasonCounters");
    private static final java.util.regex.Pattern REASON_NAME = java.util.regex.Pattern.compile("[A-Z][A-Z0-9_]*");

    private final Path file;
    private final Path root;
    private final LocatedFields<DescriptorException> y;
    /** Programs, maps, constants and build parameters share one namespace: all but the last are C globals. */
    private final Map<String, String> namesInUse = new HashMap<>();
    private final Map<String, Integer> namesLine = new HashMap<>();

    private DescriptorReader(Path file) {
        this.file = file;
        this.root = file.getParent();
        this.y = new LocatedFields<>((line, column, field, reason) -> new DescriptorException(file, line, column, field, reason));
    }

    /** {@code descriptorFile} must be absolute and normalized. */
    public static TemplateDescriptor read(Path descriptorFile) {
        return new DescriptorReader(descriptorFile).read();
    }

    private TemplateDescriptor read() {
        LocatedNode tree = LocatedTreeReader.read(readText(), LocatedTreeReader.Syntax.YAML, WORDING,
                (line, column, field, reason, cause) -> new DescriptorException(file, line, column, field, reason, cause));
        if (tree == null) {
            throw new DescriptorException(file, 0, 0, "", "the descriptor is empty; it needs at least name and programs");
        }
        LocatedNode.Mapping top = y.mapping(tree, "");
        y.allowOnly(top, "", TOP_LEVEL, "a template descriptor");

        String name = readName(top);
        List<Path> includeDirs = readIncludes(top.entries().get("includes"));
        List<ProgramDecl> programs = List.of();
        List<BuildParameter> build = List.of();
        List<ConstantDecl> constants = List.of();
        List<MapDecl> maps = List.of();
        CompileOptions compile = CompileOptions.DEFAULT;
        List<ReasonDecl> reasons = List.of();
        // Sections in file order, so the first error reported is the first in the file.
        for (LocatedNode.Entry section : top.entries().values()) {
            switch (section.key()) {
                case "programs" -> programs = readPrograms(section);
                case "build" -> build = readEach(section, new BuildParameterReader(y)::read, "build parameter");
                case "constants" -> constants = readEach(section, this::readConstant, "constant");
                case "maps" -> maps = readEach(section, this::readMap, "map");
                case "compile" -> compile = readCompile(section);
                case "reasons" -> reasons = readReasons(section);
                default -> { }
            }
        }
        if (programs.isEmpty()) {
            y.present(top, "", "programs");
        }
        Optional<String> reasonCounters = readReasonCounters(top.entries().get("reasonCounters"), maps, reasons);
        Path templateFile = root.resolve(name + SOURCE_SUFFIX);
        if (!Files.isRegularFile(templateFile)) {
            LocatedNode at = top.entries().get("name").value();
            throw y.error(at, "name", "template source " + templateFile.getFileName()
                    + " not found beside the descriptor (looked for " + templateFile + ")");
        }
        return new TemplateDescriptor(name, root, file, templateFile, includeDirs, programs, build, constants, maps,
                compile, reasons, reasonCounters);
    }

    private String readText() {
        try {
            byte[] bytes = Files.readAllBytes(file);
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new DescriptorException(file, 0, 0, "", "not valid UTF-8", e);
        } catch (IOException e) {
            throw new DescriptorException(file, 0, 0, "", "cannot read the descriptor: " + e, e);
        }
    }

    private String readName(LocatedNode.Mapping top) {
        LocatedNode node = y.present(top, "", "name");
        String name = y.word(node, "name");
        String problem = CNames.problem(name);
        if (problem != null) {
            throw y.error(node, "name", problem);
        }
        String fileName = file.getFileName().toString();
        if (fileName.endsWith(DESCRIPTOR_SUFFIX)) {
            String prefix = fileName.substring(0, fileName.length() - DESCRIPTOR_SUFFIX.length());
            if (!prefix.equals(name)) {
                throw y.error(node, "name", "'" + name + "' does not match the file name " + fileName
                        + "; name the file " + name + DESCRIPTOR_SUFFIX + " or the template '" + prefix + "'");
            }
        }
        return name;
    }

    /** The folder holding the template's folder (real path): templates there share include folders. */
    private Path tree() {
        try {
            Path real = root.toRealPath();
            return real.getParent() == null ? real : real.getParent();
        } catch (IOException e) {
            throw new DescriptorException(file, 0, 0, "", "cannot resolve the template folder " + root + ": "
                    + e.getMessage(), e);
        }
    }

    private List<Path> readIncludes(LocatedNode.Entry entry) {
        Set<Path> dirs = new LinkedHashSet<>();
        dirs.add(root);
        if (entry == null || LocatedNode.isNull(entry.value())) {
            return List.copyOf(dirs);
        }
        LocatedNode.Sequence seq = y.sequence(entry.value(), "includes");
        for (int i = 0; i < seq.items().size(); i++) {
            LocatedNode item = seq.items().get(i);
            String path = "includes[" + i + "]";
            String text = y.word(item, path);
            Path dir;
            try {
                dir = root.resolve(text).normalize();
            } catch (java.nio.file.InvalidPathException e) {
                throw y.error(item, path, "'" + text + "' is not a valid path");
            }
            if (Path.of(text).isAbsolute()) {
                throw y.error(item, path, "'" + text + "' is absolute; include folders are relative to the"
                        + " descriptor and lie in the template's tree (" + tree() + ")");
            }
            if (!Files.isDirectory(dir)) {
                throw y.error(item, path, "folder '" + text + "' not found (resolved to " + dir + ")");
            }
            // Templates are untrusted: an include folder, after symbolic links, stays in the tree,
            // or a template could render or #include any file of the machine.
            Path real;
            try {
                real = dir.toRealPath();
            } catch (IOException e) {
                throw y.error(item, path, "cannot resolve folder '" + text + "': " + e.getMessage());
            }
            if (!real.startsWith(tree())) {
                throw y.error(item, path, "folder '" + text + "' resolves to " + real + ", outside the template's"
                        + " tree " + tree() + " (the folder that holds the template's folder)");
            }
            dirs.add(dir);
        }
        return List.copyOf(dirs);
    }

    private List<ProgramDecl> readPrograms(LocatedNode.Entry section) {
        List<ProgramDecl> programs = readEach(section, this::readProgram, "program");
        if (programs.isEmpty()) {
            throw y.error(section, "programs", "a template needs at least one program");
        }
        return programs;
    }

    private <T> List<T> readEach(LocatedNode.Entry section, Reader<T> reader, String what) {
        LocatedNode.Mapping m = y.optionalMapping(section, section.key());
        List<T> out = new ArrayList<>();
        for (LocatedNode.Entry e : m.entries().values()) {
            String path = LocatedFields.child(section.key(), e.key());
            claimName(e, path);
            out.add(reader.read(e, path));
        }
        return out;
    }

    private void claimName(LocatedNode.Entry e, String path) {
        String first = namesInUse.putIfAbsent(e.key(), path);
        if (first != null) {
            throw y.error(e, path, "name '" + e.key() + "' is already used by " + first + " (line "
                    + namesLine.get(e.key()) + "); programs, maps, constants and build parameters share one namespace");
        }
        namesLine.put(e.key(), e.line());
    }

    private ProgramDecl readProgram(LocatedNode.Entry e, String path) {
        checkCName(e, path);
        LocatedNode.Mapping m = y.mapping(e.value(), path);
        y.allowOnly(m, path, List.of("hook"), "a program");
        Hook hook = oneOf(m, path, "hook", Hook.values(), Hook::yamlName, "hook");
        return new ProgramDecl(e.key(), hook);
    }

    private ConstantDecl readConstant(LocatedNode.Entry e, String path) {
        checkCName(e, path);
        LocatedNode.Mapping m = y.mapping(e.value(), path);
        y.allowOnly(m, path, List.of("type", "description"), "a constant");
        ConstantType type = oneOf(m, path, "type", ConstantType.values(), ConstantType::yamlName, "type");
        LocatedNode.Entry d = m.entries().get("description");
        String description = d == null ? "" : y.text(d.value(), LocatedFields.child(path, "description"));
        return new ConstantDecl(e.key(), type, description);
    }

    private MapDecl readMap(LocatedNode.Entry e, String path) {
        checkCName(e, path);
        LocatedNode.Mapping m = y.mapping(e.value(), path);
        y.allowOnly(m, path, List.of("scope", "pin"), "a map");
        MapScope scope = oneOf(m, path, "scope", MapScope.values(), MapScope::yamlName, "scope");
        LocatedNode.Entry pin = m.entries().get("pin");
        boolean pinned = pin == null || y.bool(pin.value(), LocatedFields.child(path, "pin"));
        return new MapDecl(e.key(), scope, pinned);
    }

    private CompileOptions readCompile(LocatedNode.Entry section) {
        LocatedNode.Mapping m = y.optionalMapping(section, "compile");
        y.allowOnly(m, "compile", List.of("cpu", "flags"), "the compile section");
        Optional<String> cpu = Optional.empty();
        LocatedNode cpuNode = LocatedFields.optional(m, "cpu");
        if (cpuNode != null) {
            String text = y.word(cpuNode, "compile.cpu");
            if (!CompileFlags.CPUS.contains(text)) {
                throw y.error(cpuNode, "compile.cpu", "unknown BPF CPU version '" + io.kiln.Excerpt.of(text)
                        + "'; allowed: " + String.join(", ", CompileFlags.CPUS) + (text.equals("probe")
                        ? " (probe would make the object depend on the kernel of the machine that compiles it, which"
                        + " the variant key does not capture)" : ""));
            }
            cpu = Optional.of(text);
        }
        List<LocatedNode> items = y.optionalList(m, "compile", "flags");
        if (items.size() > CompileFlags.MAX_FLAGS) {
            throw y.error(m.entries().get("flags"), "compile.flags", items.size() + " flags; at most "
                    + CompileFlags.MAX_FLAGS);
        }
        List<String> flags = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            String path = LocatedFields.item("compile.flags", i);
            String flag = y.string(items.get(i), path);
            Optional<String> problem = CompileFlags.problem(flag);
            if (problem.isPresent()) {
                throw y.error(items.get(i), path, problem.get());
            }
            flags.add(flag);
        }
        return new CompileOptions(cpu, flags);
    }

    /** Reasons have a namespace of their own: in C they are {@code REASON_<NAME>} macros, not globals. */
    private List<ReasonDecl> readReasons(LocatedNode.Entry section) {
        LocatedNode.Mapping m = y.optionalMapping(section, section.key());
        List<ReasonDecl> out = new ArrayList<>();
        Map<Integer, LocatedNode.Entry> byCode = new HashMap<>();
        for (LocatedNode.Entry e : m.entries().values()) {
            String path = LocatedFields.child(section.key(), e.key());
            if (!REASON_NAME.matcher(e.key()).matches()) {
                throw y.error(e, path, "'" + e.key() + "' is not an upper-case C identifier (A-Z, 0-9 and _, starting"
                        + " with a letter); reasons become the C macros REASON_<NAME> and Java enum constants");
            }
            LocatedNode.Mapping r = y.mapping(e.value(), path);
            y.allowOnly(r, path, List.of("code", "verdict", "description"), "a reason");
            String codePath = LocatedFields.child(path, "code");
            LocatedNode codeNode = y.present(r, path, "code");
            int code = (int) y.integer(codeNode, codePath, 0, ReasonDecl.MAX_CODE);
            LocatedNode.Entry first = byCode.putIfAbsent(code, e);
            if (first != null) {
                throw y.error(codeNode, codePath, "code " + code + " is already used by reason " + first.key()
                        + " (line " + first.line() + "); each reason needs a code of its own");
            }
            boolean drop = true;
            LocatedNode.Entry verdict = r.entries().get("verdict");
            if (verdict != null) {
                String vPath = LocatedFields.child(path, "verdict");
                String v = y.word(verdict.value(), vPath);
                if (!v.equals("drop") && !v.equals("pass")) {
                    throw y.error(verdict.value(), vPath, "unknown verdict '" + v + "'; allowed: drop, pass");
                }
                drop = v.equals("drop");
            }
            LocatedNode.Entry d = r.entries().get("description");
            String description = d == null ? "" : y.text(d.value(), LocatedFields.child(path, "description"));
            out.add(new ReasonDecl(e.key(), code, drop, description));
        }
        return out;
    }

    private Optional<String> readReasonCounters(LocatedNode.Entry entry, List<MapDecl> maps, List<ReasonDecl> reasons) {
        if (entry == null || LocatedNode.isNull(entry.value())) {
            return Optional.empty();
        }
        String map = y.word(entry.value(), "reasonCounters");
        if (maps.stream().noneMatch(m -> m.name().equals(map))) {
            throw y.error(entry.value(), "reasonCounters", "no map '" + map + "' in maps; name the declared map that"
                    + " counts packets per reason" + (maps.isEmpty() ? "" : " (declared: "
                    + maps.stream().map(MapDecl::name).collect(Collectors.joining(", ")) + ")"));
        }
        if (reasons.isEmpty()) {
            throw y.error(entry.value(), "reasonCounters", "map '" + map + "' counts reasons, but the descriptor"
                    + " declares none; add a reasons section");
        }
        return Optional.of(map);
    }

    private void checkCName(LocatedNode.Entry e, String path) {
        String problem = CNames.problem(e.key());
        if (problem != null) {
            throw y.error(e, path, problem);
        }
    }

    private <E> E oneOf(LocatedNode.Mapping m, String path, String key, E[] choices, Function<E, String> yamlName,
                        String what) {
        String keyPath = LocatedFields.child(path, key);
        LocatedNode node = y.present(m, path, key);
        String text = y.word(node, keyPath);
        return Arrays.stream(choices).filter(c -> yamlName.apply(c).equals(text)).findFirst()
                .orElseThrow(() -> y.error(node, keyPath, "unknown " + what + " '" + text + "'; allowed: "
                        + Arrays.stream(choices).map(yamlName).collect(Collectors.joining(", "))));
    }

    @FunctionalInterface
    private interface Reader<T> {
        T read(LocatedNode.Entry entry, String path);
    }
}
