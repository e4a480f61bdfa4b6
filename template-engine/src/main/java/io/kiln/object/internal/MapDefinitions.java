package io.kiln.object.internal;

import io.kiln.object.Btf;
import io.kiln.object.BtfType;
import io.kiln.object.InvalidObjectException;
import io.kiln.object.MapInfo;
import io.kiln.object.VariableInfo;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes BTF-defined maps the way libbpf does: each variable of the {@code .maps} section is a
 * struct whose members name the attributes. An integer attribute {@code __uint(name, N)} is a
 * pointer to an array of N ints, so N lives in the array's length; {@code __type(key, T)} is a
 * pointer to T. Members libbpf knows but Kiln has no use for ({@code numa_node}, {@code map_extra},
 * the inner map of {@code values}) are skipped; unknown members too, libbpf reports those at load.
 */
public final class MapDefinitions {
    private MapDefinitions() {
    }

    public static List<MapInfo> read(Btf btf, List<VariableInfo> mapVariables) {
        List<MapInfo> maps = new ArrayList<>();
        for (VariableInfo v : mapVariables) {
            try {
                maps.add(read(btf, v));
            } catch (InvalidObjectException e) {
                throw new FormatException("map '" + v.name() + "': " + e.problem());
            } catch (FormatException e) {
                throw new FormatException("map '" + v.name() + "': " + e.getMessage());
            }
        }
        return List.copyOf(maps);
    }

    private static MapInfo read(Btf btf, VariableInfo v) {
        if (v.typeId() == 0) {
            throw new FormatException("no BTF describes it (compile with -g)");
        }
        BtfType def = btf.resolve(v.typeId());
        if (!(def instanceof BtfType.Struct struct)) {
            throw new FormatException("definition is " + def.kind() + ", not STRUCT");
        }
        int type = 0;
        int maxEntries = 0;
        int flags = 0;
        int pinning = 0;
        Sized key = new Sized("key");
        Sized value = new Sized("value");
        for (BtfType.Member m : struct.members()) {
            switch (m.name()) {
                case "type" -> type = intAttribute(btf, m);
                case "max_entries" -> maxEntries = intAttribute(btf, m);
                case "map_flags" -> flags = intAttribute(btf, m);
                case "pinning" -> pinning = pinning(btf, m);
                case "key_size" -> key.size(intAttribute(btf, m));
                case "key" -> key.type(btf, m);
                case "value_size" -> value.size(intAttribute(btf, m));
                case "value" -> value.type(btf, m);
                case "values" -> value.size(4); // map-in-map or prog array: values are fds / ids
                default -> {
                }
            }
        }
        if (type == 0) {
            throw new FormatException("map type isn't specified (missing __uint(type, ...))");
        }
        return new MapInfo(v.name(), type, MapTypeNames.name(type), key.size, value.size, maxEntries, flags,
                pinning, key.typeId, value.typeId);
    }

    private static int intAttribute(Btf btf, BtfType.Member m) {
        BtfType t = btf.resolve(m.typeId());
        if (!(t instanceof BtfType.Ptr p)) {
            throw new FormatException("attribute '" + m.name() + "' is " + t.kind() + ", not __uint()'s pointer to an array");
        }
        BtfType target = btf.type(p.target());
        if (!(target instanceof BtfType.Array a)) {
            throw new FormatException("attribute '" + m.name() + "' points to " + target.kind() + ", not __uint()'s ARRAY");
        }
        return a.length();
    }

    private static int pinning(Btf btf, BtfType.Member m) {
        int pinning = intAttribute(btf, m);
        if (pinning != MapInfo.PIN_NONE && pinning != MapInfo.PIN_BY_NAME) {
            throw new FormatException("invalid pinning " + Integer.toUnsignedString(pinning)
                    + " (libbpf knows 0 none and 1 LIBBPF_PIN_BY_NAME)");
        }
        return pinning;
    }

    /** A key or value: given by type ({@code __type}) or by size ({@code __uint(key_size)}), which must agree. */
    private static final class Sized {
        private final String what;
        int size;
        int typeId;

        Sized(String what) {
            this.what = what;
        }

        void size(int newSize) {
            if (size != 0 && size != newSize) {
                throw new FormatException("conflicting " + what + " size " + Integer.toUnsignedString(size)
                        + " != " + Integer.toUnsignedString(newSize));
            }
            size = newSize;
        }

        void type(Btf btf, BtfType.Member m) {
            BtfType t = btf.type(m.typeId());
            if (!(t instanceof BtfType.Ptr p)) {
                throw new FormatException(what + " is " + t.kind() + ", not __type()'s pointer");
            }
            size(btf.sizeOf(p.target()));
            typeId = p.target();
        }
    }
}
