package io.kiln.bpf.internal;

import com.sun.jna.Pointer;
import io.kiln.bpf.RodataConstant;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads the variables of a data section from an object's BTF through libbpf's btf API: the DATASEC
 * type lists each VAR with its offset and size; the VAR names the variable and its C type.
 * libbpf has fixed up the DATASEC offsets and size by the time {@code bpf_object__open} returns.
 */
public final class RodataLayout {
    private static final int KIND_INT = 1;
    private static final int KIND_PTR = 2;
    private static final int KIND_ARRAY = 3;
    private static final int KIND_STRUCT = 4;
    private static final int KIND_UNION = 5;
    private static final int KIND_ENUM = 6;
    private static final int KIND_TYPEDEF = 8;
    private static final int KIND_VOLATILE = 9;
    private static final int KIND_CONST = 10;
    private static final int KIND_RESTRICT = 11;
    private static final int KIND_VAR = 14;
    private static final int KIND_DATASEC = 15;
    private static final int KIND_TYPE_TAG = 18;
    private static final int KIND_ENUM64 = 19;
    private static final int BTF_INT_SIGNED = 1;
    /** sizeof(struct btf_type): name_off, info, size/type. */
    private static final int BTF_TYPE_SIZE = 12;
    private static final int MAX_CHAIN = 32;

    private RodataLayout() {
    }

    /** The variables of {@code section} in BTF order; empty if the object has no BTF or no such section. */
    public static List<RodataConstant> variables(Pointer btf, String section) {
        List<RodataConstant> out = new ArrayList<>();
        if (btf == null) {
            return out;
        }
        int secId = LibBpf.btf__find_by_name_kind(btf, section, KIND_DATASEC);
        if (secId <= 0) {
            return out;
        }
        Pointer sec = LibBpf.btf__type_by_id(btf, secId);
        int vlen = vlen(sec);
        for (int i = 0; i < vlen; i++) {
            long at = BTF_TYPE_SIZE + 12L * i; // struct btf_var_secinfo { type, offset, size }
            int varId = sec.getInt(at);
            int offset = sec.getInt(at + 4);
            int size = sec.getInt(at + 8);
            Pointer var = LibBpf.btf__type_by_id(btf, varId);
            if (var == null || kind(var) != KIND_VAR) {
                continue;
            }
            String name = LibBpf.btf__name_by_offset(btf, var.getInt(0));
            int typeId = var.getInt(8);
            out.add(new RodataConstant(name, offset, size, typeName(btf, typeId), isSigned(btf, typeId)));
        }
        return out;
    }

    private static int kind(Pointer t) {
        return (t.getInt(4) >>> 24) & 0x1f;
    }

    private static int vlen(Pointer t) {
        return t.getInt(4) & 0xffff;
    }

    private static String typeName(Pointer btf, int id) {
        for (int hop = 0; hop < MAX_CHAIN && id != 0; hop++) {
            Pointer t = LibBpf.btf__type_by_id(btf, id);
            if (t == null) {
                break;
            }
            int kind = kind(t);
            String name = LibBpf.btf__name_by_offset(btf, t.getInt(0));
            switch (kind) {
                case KIND_VOLATILE, KIND_CONST, KIND_RESTRICT, KIND_TYPE_TAG -> {
                    id = t.getInt(8);
                    continue;
                }
                case KIND_ARRAY -> {
                    // struct btf_array { type, index_type, nelems } follows the btf_type
                    return typeName(btf, t.getInt(BTF_TYPE_SIZE)) + "[" + Integer.toUnsignedString(t.getInt(BTF_TYPE_SIZE + 8)) + "]";
                }
                case KIND_STRUCT -> {
                    return "struct " + orAnonymous(name);
                }
                case KIND_UNION -> {
                    return "union " + orAnonymous(name);
                }
                case KIND_ENUM, KIND_ENUM64 -> {
                    return "enum " + orAnonymous(name);
                }
                case KIND_PTR -> {
                    return typeName(btf, t.getInt(8)) + " *";
                }
                default -> {
                    return name == null || name.isEmpty() ? "?" : name;
                }
            }
        }
        return "void";
    }

    private static boolean isSigned(Pointer btf, int id) {
        for (int hop = 0; hop < MAX_CHAIN && id != 0; hop++) {
            Pointer t = LibBpf.btf__type_by_id(btf, id);
            if (t == null) {
                return false;
            }
            int kind = kind(t);
            if (kind == KIND_INT) {
                return ((t.getInt(BTF_TYPE_SIZE) >>> 24) & 0x0f & BTF_INT_SIGNED) != 0;
            }
            if (kind == KIND_TYPEDEF || kind == KIND_VOLATILE || kind == KIND_CONST || kind == KIND_RESTRICT
                    || kind == KIND_TYPE_TAG) {
                id = t.getInt(8);
                continue;
            }
            return false;
        }
        return false;
    }

    private static String orAnonymous(String name) {
        return name == null || name.isEmpty() ? "(anonymous)" : name;
    }
}
