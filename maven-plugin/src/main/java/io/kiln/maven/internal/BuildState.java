package io.kiln.maven.internal;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What the last {@code kiln:compile} of a project built, kept in {@code target/kiln/build-state.json}:
 * for each variant its key and object, and the digests of every file it was made from (descriptor,
 * FreeMarker files, every header clang read). A later build compares these to say which variants are
 * up to date and why the others are rebuilt. Losing the file only costs a look into the object cache.
 */
public record BuildState(int format, String plugin, CompilerStamp compiler, Map<String, VariantState> variants) {
    private static final int FORMAT = 1;
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

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
        return new BuildState(FORMAT, plugin, null, Map.of());
    }

    /** The state in {@code file}; empty when there is none or it cannot be read (a rebuild sorts that out). */
    public static BuildState read(Path file, String plugin) {
        if (!Files.isRegularFile(file)) {
            return empty(plugin);
        }
        try {
            BuildState s = MAPPER.readValue(file.toFile(), BuildState.class);
            return s.format() == FORMAT && s.variants() != null ? s : empty(plugin);
        } catch (IOException | RuntimeException e) {
            return empty(plugin);
        }
    }

    public Optional<VariantState> variant(String displayName) {
        return Optional.ofNullable(variants.get(displayName));
    }

    public byte[] toJson() {
        try {
            return MAPPER.writeValueAsBytes(new BuildState(format, plugin, compiler, new TreeMap<>(variants)));
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the build state", e);
        }
    }

    public static BuildState of(String plugin, CompilerStamp compiler, Map<String, VariantState> variants) {
        return new BuildState(FORMAT, plugin, compiler, variants);
    }
}
