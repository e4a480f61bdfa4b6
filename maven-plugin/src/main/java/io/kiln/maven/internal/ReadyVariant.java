package io.kiln.maven.internal;

import io.kiln.cache.VariantKey;
import io.kiln.object.ObjectInfo;
import java.nio.file.Path;
import java.util.List;

/**
 * A variant whose object is in hand: taken from the last build's output (up to date) or just built.
 * {@code headers} are the headers clang read for it (absolute paths), for the next build's state.
 */
public record ReadyVariant(PlannedVariant variant, VariantKey key, byte[] object, ObjectInfo info, List<Path> headers) {
}
