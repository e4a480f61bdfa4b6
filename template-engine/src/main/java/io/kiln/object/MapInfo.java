package io.kiln.object;

/**
 * A map as the object declares it in its BTF-defined {@code .maps} section (libbpf's convention).
 * Integer attributes are unsigned 32-bit values held in an {@code int}; an attribute the object does
 * not declare is 0.
 *
 * @param name        the map's variable name
 * @param type        {@code enum bpf_map_type} value, e.g. 1 for hash
 * @param typeName    libbpf's name for the type, e.g. {@code hash}, {@code lru_hash}, {@code lpm_trie};
 *                    {@code unknown(N)} for a type this reader does not know
 * @param keySize     key size in bytes (from {@code key} or {@code key_size})
 * @param valueSize   value size in bytes (from {@code value} or {@code value_size})
 * @param maxEntries  {@code max_entries}
 * @param flags       {@code map_flags}, e.g. {@code BPF_F_NO_PREALLOC} = 1
 * @param pinning     0 none, 1 {@code LIBBPF_PIN_BY_NAME}
 * @param keyTypeId   BTF type id of the key ({@link Btf#type(int)}), 0 when only {@code key_size} is given
 * @param valueTypeId BTF type id of the value, 0 when only {@code value_size} is given
 */
public record MapInfo(String name, int type, String typeName, int keySize, int valueSize, int maxEntries,
                      int flags, int pinning, int keyTypeId, int valueTypeId) {

    public static final int PIN_NONE = 0;
    public static final int PIN_BY_NAME = 1;

    public boolean pinnedByName() {
        return pinning == PIN_BY_NAME;
    }
}
