package io.kiln.maven.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What the last {@code kiln:compile} of a project built, kept in {@code target/kiln/build-state.txt}:
 * for each variant its key and object, and the digests of every file it was made from (descriptor,
 * FreeMarker files, every header clang read). A later build compares these to say which variants are
 * up to date and why the others are rebuilt. Losing the file only costs a look into the object cache.
 *
 * <p>A plain tab-separated text file rather than JSON: a no-change build reads it on every run, and a
 * JSON mapper's start-up would cost more than everything else that build does.
 */
public record BuildState(String plugin, CompilerStamp compiler, Map<String, VariantState> variants) {
    private static final String MAGIC = "kiln-build-state 1";

    public BuildState {
        variants = Map.copyOf(variants);
    }

    /** One built variant: its key, its object in the output, and the digests of its inputs by absolute path. */
    public record VariantState(String key, String object, String sha256, Map<String, String> inputs,
                               Map<String, String> headers) {
        public VariantState {
            inputs = new TreeMap<>(inputs);
            headers = new TreeMap<>(headers);
        }
    }

    public static BuildState empty(String plugin) {
        return new BuildState(plugin, null, Map.of());
    }

    public static BuildState of(String plugin, CompilerStamp compiler, Map<String, VariantState> variants) {
        return new BuildState(plugin, compiler, variants);
    }

    public Optional<VariantState> variant(String displayName) {
        return Optional.ofNullable(variants.get(displayName));
    }

    /** The state in {@code file}; empty when there is none or it cannot be read (a rebuild sorts that out). */
    public static BuildState read(Path file, String plugin) {
        if (!Files.isRegularFile(file)) {
            return empty(plugin);
        }
        try {
            return parse(Files.readAllLines(file, StandardCharsets.UTF_8), plugin);
        } catch (IOException | RuntimeException e) {
            return empty(plugin);
        }
    }

    private static BuildState parse(List<String> lines, String plugin) {
        if (lines.isEmpty() || !lines.get(0).equals(MAGIC)) {
            return empty(plugin);
        }
        String recordedPlugin = null;
        CompilerStamp compiler = null;
        Map<String, VariantState> variants = new LinkedHashMap<>();
        String name = null;
        String[] head = null;
        Map<String, String> inputs = new TreeMap<>();
        Map<String, String> headers = new TreeMap<>();
        for (String line : lines.subList(1, lines.size())) {
            List<String> f = fields(line);
            switch (f.get(0)) {
                case "plugin" -> recordedPlugin = f.get(1);
                case "compiler" -> compiler = new CompilerStamp(f.get(1), f.get(2), Long.parseLong(f.get(3)),
                        Long.parseLong(f.get(4)));
                case "variant" -> {
                    if (name != null) {
                        variants.put(name, new VariantState(head[0], head[1], head[2], inputs, headers));
                    }
                    name = f.get(1);
                    head = new String[] {f.get(2), f.get(3), f.get(4)};
                    inputs = new TreeMap<>();
                    headers = new TreeMap<>();
                }
                case "input" -> inputs.put(f.get(1), f.get(2));
                case "header" -> headers.put(f.get(1), f.get(2));
                default -> throw new IllegalArgumentException("unknown line " + f.get(0));
            }
        }
        if (name != null) {
            variants.put(name, new VariantState(head[0], head[1], head[2], inputs, headers));
        }
        return recordedPlugin == null ? empty(plugin) : new BuildState(recordedPlugin, compiler, variants);
    }

    public byte[] toText() {
        StringBuilder b = new StringBuilder(MAGIC).append('\n');
        line(b, "plugin", plugin);
        if (compiler != null) {
            line(b, "compiler", compiler.setting(), compiler.path(), Long.toString(compiler.size()),
                    Long.toString(compiler.modified()));
        }
        for (Map.Entry<String, VariantState> e : new TreeMap<>(variants).entrySet()) {
            VariantState v = e.getValue();
            line(b, "variant", e.getKey(), v.key(), v.object(), v.sha256());
            v.inputs().forEach((path, sha) -> line(b, "input", path, sha));
            v.headers().forEach((path, sha) -> line(b, "header", path, sha));
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    static void line(StringBuilder b, String... fields) {
        for (int i = 0; i < fields.length; i++) {
            b.append(i == 0 ? "" : "\t").append(fields[i].replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n"));
        }
        b.append('\n');
    }

    static List<String> fields(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder f = new StringBuilder();
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\t') {
                out.add(f.toString());
                f.setLength(0);
            } else if (c == '\\' && i + 1 < line.length()) {
                char n = line.charAt(++i);
                f.append(n == 't' ? '\t' : n == 'n' ? '\n' : n);
            } else {
                f.append(c);
            }
        }
        out.add(f.toString());
        return out;
    }
}
