package io.kiln.object.internal;

import java.util.List;

/** libbpf's names for {@code enum bpf_map_type} (as {@code libbpf_bpf_map_type_str} and bpftool print them). */
public final class MapTypeNames {
    private static final List<String> NAMES = List.of(
            "unspec", "hash", "array", "prog_array", "perf_event_array", "percpu_hash", "percpu_array",
            "stack_trace", "cgroup_array", "lru_hash", "lru_percpu_hash", "lpm_trie", "array_of_maps",
            "hash_of_maps", "devmap", "sockmap", "cpumap", "xskmap", "sockhash", "cgroup_storage",
            "reuseport_sockarray", "percpu_cgroup_storage", "queue", "stack", "sk_storage", "devmap_hash",
            "struct_ops", "ringbuf", "inode_storage", "task_storage", "bloom_filter", "user_ringbuf",
            "cgrp_storage", "arena");

    private MapTypeNames() {
    }

    public static String name(int type) {
        return type >= 0 && type < NAMES.size() ? NAMES.get(type) : "unknown(" + Integer.toUnsignedString(type) + ")";
    }

    /** The map type with this name, or -1. */
    public static int type(String name) {
        return NAMES.indexOf(name);
    }
}
