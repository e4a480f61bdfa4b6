package io.kiln.bpf;

import io.kiln.bpf.internal.LibBpf;

/**
 * What decides whether two maps are interchangeable: the attributes the kernel fixes at creation.
 * A pinned map is reused only when its definition equals the object's.
 *
 * @param type       {@code enum bpf_map_type}
 * @param keySize    bytes
 * @param valueSize  bytes (per CPU for per-CPU maps)
 * @param maxEntries capacity
 * @param flags      {@code map_flags} (BPF_F_NO_PREALLOC, ...)
 */
public record MapDefinition(int type, int keySize, int valueSize, int maxEntries, int flags) {

    /** libbpf's name of the map type, e.g. "hash", "percpu_array". */
    public String typeName() {
        String s = LibBpf.libbpf_bpf_map_type_str(type);
        return s == null ? "type " + type : s;
    }

    @Override
    public String toString() {
        return typeName() + " key " + keySize + " value " + valueSize + " max_entries " + maxEntries
                + " flags 0x" + Integer.toHexString(flags);
    }
}
