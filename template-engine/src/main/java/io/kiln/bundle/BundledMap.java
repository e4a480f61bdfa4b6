package io.kiln.bundle;

import io.kiln.template.MapScope;

/**
 * A map of a bundled variant: scope and pinning from the descriptor, the rest as the object
 * declares it ({@link io.kiln.object.MapInfo}). {@code type} is libbpf's name, e.g. {@code hash}.
 */
public record BundledMap(String name, MapScope scope, boolean pinned, String type, int keySize, int valueSize,
                         int maxEntries, int flags) {
}
