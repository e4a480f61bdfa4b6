package io.kiln.bpf;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a map's entries look like: its {@link MapDefinition} plus the fields of its key and value
 * as the object's BTF describes them (nested structs flattened to dotted names, anonymous members
 * without a prefix). A map without BTF for its key or value has an empty field list there: only
 * its sizes are known.
 *
 * @param definition type, sizes, capacity, flags
 * @param key        the key's fields, by offset; empty if unknown
 * @param value      the value's fields, by offset; empty if unknown
 */
public record MapLayout(MapDefinition definition, List<Field> key, List<Field> value) {
    /** At most this many fields on each side: a wider type reads as "fields unknown". */
    public static final int MAX_FIELDS = 512;

    public MapLayout {
        Objects.requireNonNull(definition, "definition");
        key = List.copyOf(key);
        value = List.copyOf(value);
    }

    /**
     * One field: a leaf of the key's or value's C type.
     *
     * @param name   dotted path from the top-level struct ({@code counters.packets}); empty for a key
     *               or value that is not a struct
     * @param offset byte offset
     * @param size   bytes
     * @param type   the C type after typedefs and qualifiers, e.g. {@code u32}, {@code s64},
     *               {@code u8[6]}, {@code union v6addr}; {@code bits:N} marks a bit field
     */
    public record Field(String name, int offset, int size, String type) {
        public Field {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(type, "type");
        }

        /** True for a bit field (not byte-addressable, so never copied on its own). */
        public boolean isBitField() {
            return type.startsWith("bits:");
        }

        @Override
        public String toString() {
            return (name.isEmpty() ? "(whole)" : name) + " " + type + " @" + offset + "+" + size;
        }
    }

    /** The field of {@code fields} with this name. */
    public static Optional<Field> field(List<Field> fields, String name) {
        return fields.stream().filter(f -> f.name().equals(name)).findFirst();
    }

    /** True when both key and value fields are known. */
    public boolean hasFields() {
        return !key.isEmpty() && !value.isEmpty();
    }
}
