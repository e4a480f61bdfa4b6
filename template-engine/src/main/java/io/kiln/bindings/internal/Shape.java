package io.kiln.bindings.internal;

import java.util.List;

/**
 * The layout of a value as the object's BTF describes it, reduced to what encoding needs. Records
 * compare by content (never by BTF id), so two objects' layouts can be compared with equals.
 */
public sealed interface Shape {
    int size();

    /**
     * An integer, enum, pointer, bool or float. {@code bigEndian} when its type is spelled with a
     * network-order typedef ({@code __be16}, {@code __be32}, {@code __be64}); {@code cType} is the C
     * spelling, for documentation.
     */
    record Scalar(int size, boolean signed, boolean bool, boolean floating, boolean bigEndian, String cType)
            implements Shape {
    }

    /** {@code length} elements of {@code element}, one after another. */
    record Array(Shape element, int length, String cType) implements Shape {
        public int size() {
            return element.size() * length;
        }
    }

    /** A struct: its C name (empty when anonymous), size and fields in offset order. */
    record Struct(String cName, int size, List<Field> fields) implements Shape {
        public Struct {
            fields = List.copyOf(fields);
        }
    }

    /** Bytes Kiln does not take apart (a union, a flexible or nested array): {@code why} says which. */
    record Raw(int size, String why) implements Shape {
    }

    /**
     * A struct member at byte {@code offset}. For a bitfield, {@code bits} is its width and
     * {@code bitOffset} its first bit counted from the start of the struct; both are 0 otherwise.
     */
    record Field(String cName, int offset, Shape shape, int bitOffset, int bits) {
        public boolean isBitfield() {
            return bits != 0;
        }
    }
}
