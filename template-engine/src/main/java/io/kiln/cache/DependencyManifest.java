package io.kiln.cache;

import java.nio.file.Path;
import java.util.List;

/**
 * What one rendered source included last time, so its variant key can be recomputed without clang
 * (like ccache's direct mode). {@code inputKey} hashes what is known before any header is read:
 * the source, its file name, the compiler identity, the flags and the absolute search folders.
 * The manifest holds while every header still has its recorded content and no {@code absent} path
 * (where a new file would shadow a recorded header in an earlier search folder) has appeared.
 */
public record DependencyManifest(String inputKey, VariantKey variantKey, List<Header> headers, List<Path> absent) {
    public DependencyManifest {
        headers = List.copyOf(headers);
        absent = List.copyOf(absent);
    }

    /** One included header: its absolute path here, its stable name in the key, its content's SHA-256. */
    public record Header(Path path, String name, String sha256) {
    }

    public List<Path> headerPaths() {
        return headers.stream().map(Header::path).toList();
    }
}
