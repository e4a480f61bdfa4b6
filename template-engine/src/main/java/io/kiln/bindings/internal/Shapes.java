package io.kiln.bindings.internal;

import io.kiln.object.Btf;
import io.kiln.object.BtfType;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Reads the {@link Shape} of a BTF type: what a key or value of a map looks like in memory. */
public final class Shapes {
    /**
     * Typedefs that mean network byte order. The kernel's headers spell big-endian fields this way
     * (with sparse's {@code __bitwise}); the bytes of any other integer are in the object's order,
     * little-endian for {@code bpfel}.
     */
    private static final Set<String> BIG_ENDIAN = Set.of("__be16", "__be32", "__be64");

    private Shapes() {
    }

    public static Shape read(Btf btf, int typeId) {
        boolean bigEndian = false;
        BtfType t = btf.type(typeId);
        while (t instanceof BtfType.Alias a) {
            if (t instanceof BtfType.Typedef && BIG_ENDIAN.contains(t.name())) {
                bigEndian = true;
            }
            t = btf.type(a.target());
        }
        String cType = btf.typeName(typeId).replace("volatile ", "").replace("const ", "");
        if (t instanceof BtfType.Int i) {
            return new Shape.Scalar(i.size(), i.signed(), i.isBool(), false, bigEndian, cType);
        } else if (t instanceof BtfType.Enum e) {
            return new Shape.Scalar(e.size(), e.signed(), false, false, bigEndian, cType);
        } else if (t instanceof BtfType.Enum64 e) {
            return new Shape.Scalar(e.size(), e.signed(), false, false, bigEndian, cType);
        } else if (t instanceof BtfType.Ptr) {
            return new Shape.Scalar(8, false, false, false, false, cType);
        } else if (t instanceof BtfType.Float f) {
            return new Shape.Scalar(f.size(), true, false, true, false, cType);
        } else if (t instanceof BtfType.Array a) {
            return array(btf, a, cType);
        } else if (t instanceof BtfType.Struct s) {
            return struct(btf, s);
        } else if (t instanceof BtfType.Union u) {
            return new Shape.Raw(u.size(), "union" + (u.name().isEmpty() ? "" : " " + u.name()));
        }
        return new Shape.Raw(btf.sizeOf(typeId), cType);
    }

    private static Shape array(Btf btf, BtfType.Array a, String cType) {
        if (a.length() == 0) {
            return new Shape.Raw(0, "flexible array " + cType);
        }
        Shape element = read(btf, a.elementType());
        if (element instanceof Shape.Array || element instanceof Shape.Raw) {
            return new Shape.Raw(btf.sizeOf(a.id()), cType);
        }
        return new Shape.Array(element, a.length(), cType);
    }

    private static Shape.Struct struct(Btf btf, BtfType.Struct s) {
        List<Shape.Field> fields = new ArrayList<>();
        addFields(btf, s, 0, fields);
        return new Shape.Struct(s.name(), s.size(), fields);
    }

    private static void addFields(Btf btf, BtfType.Composite s, int base, List<Shape.Field> fields) {
        for (BtfType.Member m : s.members()) {
            BtfType resolved = btf.resolve(m.typeId());
            if (m.name().isEmpty() && resolved instanceof BtfType.Struct inner && !m.isBitfield()) {
                // C lets code name an anonymous struct's members directly; so do the bindings
                addFields(btf, inner, base + m.byteOffset(), fields);
                continue;
            }
            String name = m.name().isEmpty() ? "anon" + fields.size() : m.name();
            if (m.isBitfield()) {
                Shape shape = read(btf, m.typeId());
                fields.add(new Shape.Field(name, base + m.byteOffset(), shape, base * 8 + m.bitOffset(),
                        m.bitfieldSize()));
            } else {
                fields.add(new Shape.Field(name, base + m.byteOffset(), read(btf, m.typeId()), 0, 0));
            }
        }
    }
}
