package io.kiln.bpf.internal;

import com.sun.jna.Pointer;
import io.kiln.bpf.MapLayout;

import java.util.ArrayList;
import java.util.List;

/**
 * Flattens a BTF type into the leaf fields of {@link MapLayout}: a struct's members (nested structs
 * recursed into with a dotted prefix, anonymous ones without), each with its byte offset, size and
 * canonical type (typedefs and qualifiers resolved: {@code u32}, {@code s16}, {@code u8[6]},
 * {@code union v6addr}, {@code enum4}, {@code ptr}). A type that is not a struct is one field with
 * an empty name. Bounded: at most {@link MapLayout#MAX_FIELDS} fields and {@value #MAX_DEPTH} levels.
 */
public final class BtfFields {
    private static final int KIND_INT = 1;
    private static final int KIND_PTR = 2;
    private static final int KIND_ARRAY = 3;
    private static final int KIND_STRUCT = 4;
    private static final int KIND_UNION = 5;
    private static final int KIND_ENUM = 6;
    private static final int KIND_FWD = 7;
    private static final int KIND_TYPEDEF = 8;
    private static final int KIND_VOLATILE = 9;
    private static final int KIND_CONST = 10;
    private static final int KIND_RESTRICT = 11;
    private static final int KIND_TYPE_TAG = 18;
    private static final int KIND_ENUM64 = 19;
    private static final int BTF_TYPE_SIZE = 12;
    private static final int MAX_CHAIN = 32;
    private static final int MAX_FIELDS = MapLayout.MAX_FIELDS;
    private static final int MAX_DEPTH = 8;

    private BtfFields() {
    }

    /** The leaf fields of type {@code typeId}; empty if {@code btf} is null, the id is 0 or too deep/wide. */
    public static List<MapLayout.Field> of(Pointer btf, int typeId) {
        List<MapLayout.Field> out = new ArrayList<>();
        if (btf == null || typeId <= 0) {
            return out;
        }
        try {
            walk(btf, typeId, "", 0, 0, out);
        } catch (TooComplex e) {
            return new ArrayList<>();
        }
        out.sort(java.util.Comparator.comparingInt(MapLayout.Field::offset));
        return out;
    }

    private static void walk(Pointer btf, int typeId, String name, int offsetBytes, int depth, List<MapLayout.Field> out) {
        if (depth > MAX_DEPTH || out.size() > MAX_FIELDS) {
            throw new TooComplex();
        }
        int id = resolve(btf, typeId);
        Pointer t = LibBpf.btf__type_by_id(btf, id);
        if (t == null) {
            throw new TooComplex();
        }
        if (kind(t) == KIND_STRUCT) {
            boolean kflag = (t.getInt(4) >>> 31) != 0;
            int vlen = vlen(t);
            for (int i = 0; i < vlen; i++) {
                long at = BTF_TYPE_SIZE + 12L * i; // struct btf_member { name_off, type, offset }
                String member = LibBpf.btf__name_by_offset(btf, t.getInt(at));
                int memberType = t.getInt(at + 4);
                int raw = t.getInt(at + 8);
                int bitOffset = kflag ? raw & 0xffffff : raw;
                int bitSize = kflag ? raw >>> 24 : 0;
                String path = member == null || member.isEmpty() ? name
                        : name.isEmpty() ? member : name + "." + member;
                if (bitSize != 0 || bitOffset % 8 != 0) {
                    out.add(new MapLayout.Field(path, offsetBytes + bitOffset / 8,
                            Math.max(1, (bitOffset % 8 + (bitSize == 0 ? 8 : bitSize) + 7) / 8),
                            "bits:" + (bitSize == 0 ? "?" : bitSize) + "@" + (bitOffset % 8)));
                    continue;
                }
                walk(btf, memberType, path, offsetBytes + bitOffset / 8, depth + 1, out);
            }
            return;
        }
        long size = LibBpf.btf__resolve_size(btf, id);
        if (size < 0 || size > Integer.MAX_VALUE) {
            throw new TooComplex();
        }
        out.add(new MapLayout.Field(name, offsetBytes, (int) size, canonical(btf, id, 0)));
    }

    private static int resolve(Pointer btf, int id) {
        for (int hop = 0; hop < MAX_CHAIN && id != 0; hop++) {
            Pointer t = LibBpf.btf__type_by_id(btf, id);
            if (t == null) {
                return id;
            }
            int k = kind(t);
            if (k == KIND_TYPEDEF || k == KIND_VOLATILE || k == KIND_CONST || k == KIND_RESTRICT || k == KIND_TYPE_TAG) {
                id = t.getInt(8);
                continue;
            }
            return id;
        }
        return id;
    }

    private static String canonical(Pointer btf, int typeId, int depth) {
        if (depth > MAX_CHAIN) {
            return "?";
        }
        int id = resolve(btf, typeId);
        Pointer t = LibBpf.btf__type_by_id(btf, id);
        if (t == null || id == 0) {
            return "void";
        }
        String name = LibBpf.btf__name_by_offset(btf, t.getInt(0));
        String named = name == null || name.isEmpty() ? "(anonymous)" : name;
        return switch (kind(t)) {
            case KIND_INT -> {
                int enc = (t.getInt(BTF_TYPE_SIZE) >>> 24) & 0x0f;
                int bits = t.getInt(BTF_TYPE_SIZE) & 0xff;
                yield (enc & 4) != 0 ? "bool" : (enc & 2) != 0 ? "char" : ((enc & 1) != 0 ? "s" : "u") + bits;
            }
            case KIND_PTR -> "ptr";
            case KIND_ARRAY -> canonical(btf, t.getInt(BTF_TYPE_SIZE), depth + 1) + "["
                    + Integer.toUnsignedString(t.getInt(BTF_TYPE_SIZE + 8)) + "]";
            case KIND_STRUCT -> "struct " + named;
            case KIND_UNION -> "union " + named;
            case KIND_ENUM, KIND_ENUM64 -> "enum" + t.getInt(8);
            case KIND_FWD -> "fwd " + named;
            default -> "kind" + kind(t);
        };
    }

    private static int kind(Pointer t) {
        return (t.getInt(4) >>> 24) & 0x1f;
    }

    private static int vlen(Pointer t) {
        return t.getInt(4) & 0xffff;
    }

    private static final class TooComplex extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TooComplex() {
            super(null, null, false, false);
        }
    }
}
