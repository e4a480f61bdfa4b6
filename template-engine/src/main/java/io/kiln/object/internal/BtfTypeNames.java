package io.kiln.object.internal;

import io.kiln.object.Btf;
import io.kiln.object.BtfKind;
import io.kiln.object.BtfType;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * Renders C-like type names the way a declaration spells them: the base type first, then a
 * declarator built inside out, so that arrays, pointers to arrays and function pointers come
 * out as C writes them ({@code __u8[16]}, {@code int (*)[5]}, {@code int (*)(void *, ...)}).
 */
public final class BtfTypeNames {
    /** Deeper nesting than this is malformed or hostile BTF; the rest is elided rather than overflow the stack. */
    private static final int MAX_DEPTH = 64;
    /** Shared sub-types make a name's expansion exponential in hostile BTF; past this many steps the rest is elided. */
    private static final int MAX_STEPS = 10_000;

    private final Btf btf;
    private int steps;

    private BtfTypeNames(Btf btf) {
        this.btf = btf;
    }

    public static String name(Btf btf, int id) {
        return new BtfTypeNames(btf).render(id, "", 0);
    }

    private String render(int id, String declarator, int depth) {
        if (depth > MAX_DEPTH || ++steps > MAX_STEPS) {
            return join("...", declarator);
        }
        BtfType t = btf.type(id);
        if (t instanceof BtfType.Qualifier) {
            return renderQualified(t, declarator, depth);
        } else if (t instanceof BtfType.Ptr p) {
            BtfType target = btf.type(p.target());
            String inner = "*" + declarator;
            boolean needsParens = target instanceof BtfType.Array || target instanceof BtfType.FuncProto;
            return render(p.target(), needsParens ? "(" + inner + ")" : inner, depth + 1);
        } else if (t instanceof BtfType.Array a) {
            return render(a.elementType(), declarator + "[" + Integer.toUnsignedString(a.length()) + "]", depth + 1);
        } else if (t instanceof BtfType.FuncProto f) {
            return render(f.returnType(), declarator + "(" + parameters(f, depth) + ")", depth + 1);
        } else if (t instanceof BtfType.Func f) {
            return render(f.protoId(), f.name(), depth + 1);
        } else if (t instanceof BtfType.TypeTag tag) {
            return render(tag.target(), declarator, depth + 1);
        } else if (t instanceof BtfType.Var v) {
            return render(v.typeId(), declarator, depth + 1);
        } else if (t instanceof BtfType.DeclTag tag) {
            return render(tag.target(), declarator, depth + 1);
        }
        return join(baseName(t), declarator);
    }

    /** A run of qualifiers on one type, written in a fixed order; on a pointer they go after the '*'. */
    private String renderQualified(BtfType first, String declarator, int depth) {
        List<BtfKind> kinds = new ArrayList<>();
        BtfType t = first;
        while (t instanceof BtfType.Qualifier q && kinds.size() <= MAX_DEPTH) {
            kinds.add(q.kind());
            t = btf.type(q.target());
        }
        StringJoiner words = new StringJoiner(" ");
        for (BtfKind k : List.of(BtfKind.VOLATILE, BtfKind.CONST, BtfKind.RESTRICT)) {
            if (kinds.contains(k)) {
                words.add(k.name().toLowerCase(java.util.Locale.ROOT));
            }
        }
        if (t instanceof BtfType.Ptr) {
            return render(t.id(), join(words.toString(), declarator), depth + 1);
        }
        return words + " " + render(t.id(), declarator, depth + 1);
    }

    private String parameters(BtfType.FuncProto f, int depth) {
        if (f.params().isEmpty()) {
            return "void";
        }
        StringJoiner list = new StringJoiner(", ");
        for (BtfType.Param p : f.params()) {
            list.add(p.typeId() == 0 ? "..." : render(p.typeId(), p.name(), depth + 1));
        }
        return list.toString();
    }

    private static String baseName(BtfType t) {
        String name = t.name().isEmpty() ? "(anon)" : t.name();
        switch (t.kind()) {
            case STRUCT:
                return "struct " + name;
            case UNION:
                return "union " + name;
            case ENUM:
            case ENUM64:
                return "enum " + name;
            case FWD:
                return (((BtfType.Fwd) t).union() ? "union " : "struct ") + name;
            case DATASEC:
                return "SEC(\"" + t.name() + "\")";
            default:
                return name;
        }
    }

    private static String join(String base, String declarator) {
        if (declarator.isEmpty()) {
            return base;
        }
        if (declarator.startsWith("[")) {
            return base + declarator;
        }
        return base + " " + declarator;
    }
}
