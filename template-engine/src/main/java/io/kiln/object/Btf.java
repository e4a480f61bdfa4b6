package io.kiln.object;

import io.kiln.object.internal.BtfParser;
import io.kiln.object.internal.BtfTypeNames;
import io.kiln.object.internal.ByteReader;
import io.kiln.object.internal.FormatException;
import java.util.List;
import java.util.Optional;

/**
 * The BTF type information of an object: every type by id, with helpers to see through typedefs
 * and qualifiers, size types and name them C-style. Immutable. References are checked when it is
 * read: every id a type holds exists, and chains of references end, so walkers need no guards.
 *
 * <p>A code generator walks a map's key like this: {@code resolve(map.keyTypeId())} gives a
 * {@link BtfType.Struct}; each {@link BtfType.Member} has a bit offset and, through
 * {@code resolve(member.typeId())}, an {@link BtfType.Int} (size, signedness), an
 * {@link BtfType.Array} (element type, length), or a nested struct or union; {@link #sizeOf(int)}
 * sizes any of them.
 */
public final class Btf {
    private static final int POINTER_SIZE = 8;

    private final String object;
    private final List<BtfType> types;

    private Btf(String object, List<BtfType> types) {
        this.object = object;
        this.types = types;
    }

    /** BTF with no types (for objects compiled without {@code -g}). */
    public static Btf empty(String object) {
        return new Btf(object, List.of(new BtfType.Void()));
    }

    /**
     * Parses a raw BTF blob: the content of a {@code .BTF} section, or a file such as
     * {@code /sys/kernel/btf/vmlinux}.
     *
     * @param object name used in error messages (the object file and section)
     * @throws InvalidObjectException when the blob is malformed
     */
    public static Btf parse(byte[] raw, String object) {
        try {
            return new Btf(object, BtfParser.parse(ByteReader.of(raw, "BTF")));
        } catch (FormatException e) {
            throw new InvalidObjectException(object, e.getMessage());
        } catch (RuntimeException e) {
            // A decoding path without its own check: still the input at fault, but say it is our gap.
            throw new InvalidObjectException(object, "malformed BTF (internal error while decoding: " + e + ")", e);
        }
    }

    /** True when there are no types besides void. */
    public boolean isEmpty() {
        return types.size() == 1;
    }

    /** Number of type ids in use, including void (id 0): valid ids are {@code 0 .. count() - 1}. */
    public int count() {
        return types.size();
    }

    /** All types, index = id, element 0 is void. */
    public List<BtfType> types() {
        return types;
    }

    /** The type with this id. */
    public BtfType type(int id) {
        if (id < 0 || id >= types.size()) {
            throw new IllegalArgumentException("no BTF type [" + id + "] in " + object + " (ids 0.." + (types.size() - 1) + ")");
        }
        return types.get(id);
    }

    /** The id reached from {@code id} by skipping typedef, const, volatile, restrict and type tags. */
    public int resolveId(int id) {
        BtfType t = type(id);
        while (t instanceof BtfType.Alias a) {
            t = types.get(a.target());
        }
        return t.id();
    }

    /** The type reached from {@code id} by skipping typedef, const, volatile, restrict and type tags. */
    public BtfType resolve(int id) {
        return types.get(resolveId(id));
    }

    /**
     * Size in bytes of a value of this type, as {@code sizeof} in C on the BPF target (pointers are
     * 8 bytes). A VAR has its type's size.
     *
     * @throws InvalidObjectException when the type has no size (void, function, forward declaration)
     *                                or its size does not fit in an int
     */
    public int sizeOf(int id) {
        long elements = 1;
        BtfType t = type(id);
        while (true) {
            if (t instanceof BtfType.Alias a) {
                t = types.get(a.target());
            } else if (t instanceof BtfType.Var v) {
                t = types.get(v.typeId());
            } else if (t instanceof BtfType.Array a) {
                elements *= Integer.toUnsignedLong(a.length());
                if (elements > Integer.MAX_VALUE) {
                    throw sizeError(id, "is larger than 2 GiB");
                }
                t = types.get(a.elementType());
            } else {
                long size = Integer.toUnsignedLong(ownSize(id, t));
                if (size * elements > Integer.MAX_VALUE) {
                    throw sizeError(id, "is larger than 2 GiB");
                }
                return (int) (size * elements);
            }
        }
    }

    private int ownSize(int requested, BtfType t) {
        if (t instanceof BtfType.Int i) {
            return i.size();
        } else if (t instanceof BtfType.Composite c) {
            return c.size();
        } else if (t instanceof BtfType.Enum e) {
            return e.size();
        } else if (t instanceof BtfType.Enum64 e) {
            return e.size();
        } else if (t instanceof BtfType.Float f) {
            return f.size();
        } else if (t instanceof BtfType.DataSec d) {
            return d.size();
        } else if (t instanceof BtfType.Ptr) {
            return POINTER_SIZE;
        }
        throw sizeError(requested, requested == t.id() ? "has no size"
                : "has no size (it is made of [" + t.id() + "] " + t.kind() + ")");
    }

    private InvalidObjectException sizeError(int id, String problem) {
        BtfType t = types.get(id);
        return new InvalidObjectException(object, "BTF type [" + id + "] " + t.kind()
                + (t.name().isEmpty() ? "" : " '" + t.name() + "'") + " " + problem);
    }

    /**
     * A C-like name for the type: {@code __u32}, {@code struct policy_key}, {@code volatile const __u8[16]},
     * {@code int (*)[5]}, {@code struct (anon)}. Qualifiers on one type are written in the order
     * {@code volatile const restrict}, whatever order the compiler nested them in.
     */
    public String typeName(int id) {
        type(id);
        return BtfTypeNames.name(this, id);
    }

    /** The first type of this kind and name, e.g. {@code find(BtfKind.STRUCT, "policy_key")}. */
    public Optional<BtfType> find(BtfKind kind, String name) {
        return types.stream().filter(t -> t.kind() == kind && t.name().equals(name)).findFirst();
    }

    /** The DATASEC describing the variables of an ELF section, e.g. {@code .rodata} or {@code .maps}. */
    public Optional<BtfType.DataSec> dataSec(String section) {
        return find(BtfKind.DATASEC, section).map(BtfType.DataSec.class::cast);
    }

    @Override
    public String toString() {
        return "Btf[" + object + ", " + (types.size() - 1) + " types]";
    }
}
