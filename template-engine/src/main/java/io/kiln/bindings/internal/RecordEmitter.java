package io.kiln.bindings.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes records for map keys and values: one record per struct (nested structs get their own,
 * shared when two have the same layout), and a one-component record ({@code value}) for a key or
 * value that is not a struct. Each record has {@code SIZE}, {@code toBytes()} and
 * {@code fromBytes(byte[])}; it checks its components' ranges and lengths when constructed.
 */
final class RecordEmitter {
    /** A record component: its Java name and the field it encodes. */
    private record Component(String name, Shape.Field field) {
    }

    private final JavaCode c;
    private final Map<Shape.Struct, String> structNames = new LinkedHashMap<>();
    private final JavaNames.Unique recordNames;
    private final List<Shape.Struct> pending = new ArrayList<>();

    RecordEmitter(JavaCode c, String... reservedNames) {
        this.c = c;
        this.recordNames = new JavaNames.Unique(reservedNames);
    }

    /** Writes record {@code name} for {@code shape}, then the records of any structs it contains. */
    void emit(String name, Shape shape, String doc) {
        recordNames.take(name);
        if (shape instanceof Shape.Struct s) {
            structNames.put(s, name);
            emitStruct(name, s, doc);
        } else {
            emitStruct(name, new Shape.Struct("", shape.size(), List.of(new Shape.Field("value", 0, shape, 0, 0))),
                    doc);
        }
        while (!pending.isEmpty()) {
            Shape.Struct next = pending.remove(0);
            String nested = structNames.get(next);
            emitStruct(nested, next, "{@code struct " + JavaCode.text(next.cName()) + "}, " + next.size() + " bytes.");
        }
    }

    private String nameOf(Shape.Struct s, String fieldHint) {
        return structNames.computeIfAbsent(s, k -> {
            pending.add(k);
            return recordNames.take(JavaNames.pascal(k.cName().isEmpty() ? fieldHint : k.cName()));
        });
    }

    private void emitStruct(String name, Shape.Struct s, String doc) {
        JavaNames.Unique names = new JavaNames.Unique();
        List<Component> components = new ArrayList<>();
        for (Shape.Field f : s.fields()) {
            components.add(new Component(names.take(JavaNames.camel(f.cName())), f));
        }
        List<String> params = new ArrayList<>();
        for (Component k : components) {
            params.add(javaType(k.field()) + " " + k.name());
        }
        List<String> docLines = new ArrayList<>(List.of(doc, ""));
        for (Component k : components) {
            docLines.add("@param " + k.name() + " " + describe(k.field()));
        }
        c.blank();
        c.doc(docLines.toArray(String[]::new));
        c.line("public record " + name + "(" + String.join(", ", params) + ") {");
        c.doc("Bytes of a " + name + " in the map.");
        c.line("public static final int SIZE = " + s.size() + ";");
        // offsets for code that reads a field out of raw bytes (summing per-CPU counters, say)
        JavaNames.Unique offsetNames = new JavaNames.Unique();
        for (Component k : components) {
            if (!k.field().isBitfield()) {
                c.line("public static final int " + offsetNames.take("OFFSET_" + JavaNames.upper(k.field().cName()))
                        + " = " + k.field().offset() + ";");
            }
        }
        c.blank();
        c.line("public " + name + " {");
        for (Component k : components) {
            checks(k);
        }
        c.line("}");
        paddingFree(name, components);
        c.blank();
        c.doc("This " + name + " as the map holds it, {@link #SIZE} bytes.");
        c.line("public byte[] toBytes() {");
        c.line("byte[] b_ = new byte[SIZE];");
        c.line("encodeTo(b_, 0);");
        c.line("return b_;");
        c.line("}");
        c.blank();
        c.doc("Reads a " + name + " from the {@link #SIZE} bytes the map holds.");
        c.line("public static " + name + " fromBytes(byte[] b_) {");
        c.line("checkLength(\"" + name + "\", b_.length, SIZE);");
        c.line("return decodeFrom(b_, 0);");
        c.line("}");
        c.blank();
        c.line("void encodeTo(byte[] b_, int at_) {");
        for (Component k : components) {
            encode(k);
        }
        c.line("}");
        c.blank();
        c.line("static " + name + " decodeFrom(byte[] b_, int at_) {");
        List<String> args = new ArrayList<>();
        for (Component k : components) {
            args.add(decode(k));
        }
        c.line("return new " + name + "(" + String.join(", ", args) + ");");
        c.line("}");
        if (components.stream().anyMatch(k -> isArray(k.field()))) {
            arrayMembers(name, components);
        }
        if (components.stream().noneMatch(k -> k.name().equals("builder"))) {
            builder(name, components);
        }
        c.line("}");
    }

    /**
     * A builder that sets fields by name: positional constructors follow the C order, so two fields
     * of one type swapped in the C would swap silently for a positional caller, never for a builder's.
     */
    private void builder(String name, List<Component> components) {
        c.blank();
        c.doc("A builder starting from all-zero bytes; fields not set stay zero.");
        c.line("public static Builder builder() {");
        c.line("return new Builder();");
        c.line("}");
        c.blank();
        c.doc("Sets the fields of a " + name + " by name.");
        c.line("public static final class Builder {");
        for (Component k : components) {
            c.line("private " + javaType(k.field()) + " " + k.name() + ";");
        }
        c.blank();
        c.line("private Builder() {");
        c.line(name + " z_ = decodeFrom(new byte[SIZE], 0);");
        for (Component k : components) {
            c.line("this." + k.name() + " = z_." + k.name() + ";");
        }
        c.line("}");
        for (Component k : components) {
            if (isPadding(k.field())) {
                continue;
            }
            c.blank();
            c.line("public Builder " + k.name() + "(" + javaType(k.field()) + " " + k.name() + ") {");
            c.line("this." + k.name() + " = " + k.name() + ";");
            c.line("return this;");
            c.line("}");
        }
        c.blank();
        c.doc("The " + name + "; its constructor checks the values.");
        c.line("public " + name + " build() {");
        List<String> args = new ArrayList<>();
        for (Component k : components) {
            args.add(k.name());
        }
        c.line("return new " + name + "(" + String.join(", ", args) + ");");
        c.line("}");
        c.line("}");
    }

    /**
     * C names padding {@code pad}, {@code _pad}, {@code __pad1} and so on by convention. Callers should
     * not have to spell it (the kernel wants it zero), so a record with padding gets a second
     * constructor without it.
     */
    static boolean isPadding(Shape.Field f) {
        return !f.isBitfield() && f.cName().matches("_*pad[0-9]*")
                && (f.shape() instanceof Shape.Scalar || f.shape() instanceof Shape.Array a
                        && a.element() instanceof Shape.Scalar e && isByte(e));
    }

    private void paddingFree(String name, List<Component> components) {
        List<Component> kept = components.stream().filter(k -> !isPadding(k.field())).toList();
        if (kept.size() == components.size() || kept.isEmpty()) {
            return;
        }
        List<String> params = new ArrayList<>();
        for (Component k : kept) {
            params.add(javaType(k.field()) + " " + k.name());
        }
        List<String> args = new ArrayList<>();
        for (Component k : components) {
            if (!isPadding(k.field())) {
                args.add(k.name());
            } else if (k.field().shape() instanceof Shape.Scalar s) {
                args.add(s.bool() ? "false" : "(" + scalarType(s) + ") 0");
            } else {
                args.add("new byte[" + k.field().shape().size() + "]");
            }
        }
        c.blank();
        c.doc("A " + name + " with its padding zeroed.");
        c.line("public " + name + "(" + String.join(", ", params) + ") {");
        c.line("this(" + String.join(", ", args) + ");");
        c.line("}");
    }

    private static boolean isArray(Shape.Field f) {
        return !f.isBitfield() && (f.shape() instanceof Shape.Array || f.shape() instanceof Shape.Raw);
    }

    String javaType(Shape.Field f) {
        if (f.isBitfield()) {
            return f.bits() <= 31 ? "int" : "long";
        }
        return javaType(f.shape(), f.cName());
    }

    private String javaType(Shape shape, String hint) {
        if (shape instanceof Shape.Scalar s) {
            return scalarType(s);
        } else if (shape instanceof Shape.Array a) {
            if (a.element() instanceof Shape.Scalar e && isByte(e)) {
                return "byte[]";
            }
            return javaType(a.element(), hint) + "[]";
        } else if (shape instanceof Shape.Struct s) {
            return nameOf(s, hint);
        }
        return "byte[]";
    }

    private static boolean isByte(Shape.Scalar s) {
        return s.size() == 1 && !s.bool();
    }

    static String scalarType(Shape.Scalar s) {
        if (s.bool()) {
            return "boolean";
        }
        if (s.floating()) {
            return s.size() == 4 ? "float" : "double";
        }
        if (s.signed()) {
            return switch (s.size()) {
                case 1 -> "byte";
                case 2 -> "short";
                case 4 -> "int";
                default -> "long";
            };
        }
        return s.size() <= 2 ? "int" : "long";
    }

    private static String describe(Shape.Field f) {
        String where = f.isBitfield() ? "bits " + f.bitOffset() + ".." + (f.bitOffset() + f.bits() - 1)
                : "offset " + f.offset() + ", " + f.shape().size() + " byte(s)";
        String what;
        if (f.shape() instanceof Shape.Scalar s) {
            what = "{@code " + JavaCode.text(s.cType()) + "}" + (s.bigEndian() ? ", network byte order" : "")
                    + (f.isBitfield() ? ", a " + f.bits() + "-bit bitfield" : "");
        } else if (f.shape() instanceof Shape.Array a) {
            what = "{@code " + JavaCode.text(a.cType()) + "}"
                    + (a.element() instanceof Shape.Scalar e && e.bigEndian() ? ", elements in network byte order" : "");
        } else if (f.shape() instanceof Shape.Struct s) {
            what = "{@code struct " + JavaCode.text(s.cName().isEmpty() ? "(anonymous)" : s.cName()) + "}";
        } else {
            what = JavaCode.text(((Shape.Raw) f.shape()).why()) + ", as raw bytes";
        }
        return "{@code " + JavaCode.text(f.cName()) + "}: " + what + "; " + where;
    }

    private void checks(Component k) {
        Shape.Field f = k.field();
        String n = k.name();
        String label = JavaCode.literal(f.cName());
        if (f.isBitfield()) {
            Shape.Scalar s = (Shape.Scalar) f.shape();
            c.line((s.signed() ? "checkSigned(" : "checkUnsigned(") + label + ", " + n + ", " + f.bits() + ");");
        } else if (f.shape() instanceof Shape.Scalar s) {
            rangeCheck(label, n, s);
        } else if (f.shape() instanceof Shape.Struct) {
            c.line("java.util.Objects.requireNonNull(" + n + ", " + label + ");");
        } else {
            int length = f.shape() instanceof Shape.Array a && !javaType(f).equals("byte[]") ? a.length()
                    : f.shape().size();
            c.line("java.util.Objects.requireNonNull(" + n + ", " + label + ");");
            c.line("checkLength(" + label + ", " + n + ".length, " + length + ");");
            c.line(n + " = " + n + ".clone();");
            if (f.shape() instanceof Shape.Array a && a.element() instanceof Shape.Scalar e && !isByte(e)
                    && needsRangeCheck(e)) {
                c.line("for (" + scalarType(e) + " e_ : " + n + ") {");
                rangeCheck(label, "e_", e);
                c.line("}");
            } else if (f.shape() instanceof Shape.Array a && a.element() instanceof Shape.Struct) {
                c.line("for (Object e_ : " + n + ") {");
                c.line("java.util.Objects.requireNonNull(e_, " + label + ");");
                c.line("}");
            }
        }
    }

    private static boolean needsRangeCheck(Shape.Scalar s) {
        return !s.bool() && !s.floating() && !s.signed() && s.size() < 8;
    }

    private void rangeCheck(String label, String n, Shape.Scalar s) {
        if (needsRangeCheck(s)) {
            c.line("checkUnsigned(" + label + ", " + n + ", " + s.size() * 8 + ");");
        }
    }

    private void encode(Component k) {
        Shape.Field f = k.field();
        String n = k.name();
        String at = "at_ + " + f.offset();
        if (f.isBitfield()) {
            c.line("putBits(b_, at_, " + f.bitOffset() + ", " + f.bits() + ", " + n + ");");
        } else if (f.shape() instanceof Shape.Scalar s) {
            c.line("put(b_, " + at + ", " + s.size() + ", " + toBits(s, n) + ", " + s.bigEndian() + ");");
        } else if (f.shape() instanceof Shape.Struct) {
            c.line(n + ".encodeTo(b_, " + at + ");");
        } else if (javaType(f).equals("byte[]")) {
            c.line("System.arraycopy(" + n + ", 0, b_, " + at + ", " + f.shape().size() + ");");
        } else {
            Shape.Array a = (Shape.Array) f.shape();
            int es = a.element().size();
            c.line("for (int i_ = 0; i_ < " + a.length() + "; i_++) {");
            if (a.element() instanceof Shape.Scalar s) {
                c.line("put(b_, " + at + " + i_ * " + es + ", " + es + ", " + toBits(s, n + "[i_]") + ", " + s.bigEndian()
                        + ");");
            } else {
                c.line(n + "[i_].encodeTo(b_, " + at + " + i_ * " + es + ");");
            }
            c.line("}");
        }
    }

    private static String toBits(Shape.Scalar s, String v) {
        if (s.bool()) {
            return "(" + v + " ? 1L : 0L)";
        }
        if (s.floating()) {
            return s.size() == 4 ? "Float.floatToRawIntBits(" + v + ")" : "Double.doubleToRawLongBits(" + v + ")";
        }
        return v;
    }

    private static String fromBits(Shape.Scalar s, String bits) {
        if (s.bool()) {
            return bits + " != 0";
        }
        if (s.floating()) {
            return s.size() == 4 ? "Float.intBitsToFloat((int) " + bits + ")" : "Double.longBitsToDouble(" + bits + ")";
        }
        String type = scalarType(s);
        return type.equals("long") ? bits : "(" + type + ") " + bits;
    }

    /** The expression that reads a component; arrays are filled in a local declared first. */
    private String decode(Component k) {
        Shape.Field f = k.field();
        String at = "at_ + " + f.offset();
        if (f.isBitfield()) {
            Shape.Scalar s = (Shape.Scalar) f.shape();
            String bits = "getBits(b_, at_, " + f.bitOffset() + ", " + f.bits() + ")";
            String value = s.signed() ? "signExtend(" + bits + ", " + f.bits() + ")" : bits;
            return f.bits() <= 31 ? "(int) " + value : value;
        } else if (f.shape() instanceof Shape.Scalar s) {
            return fromBits(s, "get(b_, " + at + ", " + s.size() + ", " + s.bigEndian() + ")");
        } else if (f.shape() instanceof Shape.Struct st) {
            return nameOf(st, f.cName()) + ".decodeFrom(b_, " + at + ")";
        } else if (javaType(f).equals("byte[]")) {
            return "java.util.Arrays.copyOfRange(b_, " + at + ", " + at + " + " + f.shape().size() + ")";
        }
        Shape.Array a = (Shape.Array) f.shape();
        int es = a.element().size();
        String local = k.name() + "Decoded";
        String elementType = javaType(a.element(), f.cName());
        c.line(elementType + "[] " + local + " = new " + elementType + "[" + a.length() + "];");
        c.line("for (int i_ = 0; i_ < " + a.length() + "; i_++) {");
        if (a.element() instanceof Shape.Scalar s) {
            c.line(local + "[i_] = " + fromBits(s, "get(b_, " + at + " + i_ * " + es + ", " + es + ", " + s.bigEndian()
                    + ")") + ";");
        } else {
            c.line(local + "[i_] = " + elementType + ".decodeFrom(b_, " + at + " + i_ * " + es + ");");
        }
        c.line("}");
        return local;
    }

    /** Arrays compare and print by content, and callers get copies: a record stays a value. */
    private void arrayMembers(String name, List<Component> components) {
        for (Component k : components) {
            if (isArray(k.field())) {
                c.blank();
                c.line("@Override");
                c.line("public " + javaType(k.field()) + " " + k.name() + "() {");
                c.line("return " + k.name() + ".clone();");
                c.line("}");
            }
        }
        List<String> equal = new ArrayList<>();
        List<String> hashed = new ArrayList<>();
        List<String> shown = new ArrayList<>();
        for (Component k : components) {
            String n = k.name();
            String type = javaType(k.field());
            if (isArray(k.field())) {
                equal.add("java.util.Arrays.equals(" + n + ", other_." + n + ")");
                hashed.add("java.util.Arrays.hashCode(" + n + ")");
                shown.add("\"" + n + "=\" + java.util.Arrays.toString(" + n + ")");
            } else {
                equal.add(switch (type) {
                    case "float" -> "Float.compare(" + n + ", other_." + n + ") == 0";
                    case "double" -> "Double.compare(" + n + ", other_." + n + ") == 0";
                    case "boolean", "byte", "short", "int", "long" -> n + " == other_." + n;
                    default -> n + ".equals(other_." + n + ")";
                });
                hashed.add(n);
                shown.add("\"" + n + "=\" + " + n);
            }
        }
        c.blank();
        c.line("@Override");
        c.line("public boolean equals(Object o_) {");
        StringBuilder test = new StringBuilder("return o_ instanceof " + name + " other_");
        for (String e : equal) {
            test.append("\n            && ").append(e);
        }
        for (String l : (test + ";").split("\n")) {
            c.line(l);
        }
        c.line("}");
        c.blank();
        c.line("@Override");
        c.line("public int hashCode() {");
        c.line("return java.util.Objects.hash(" + String.join(", ", hashed) + ");");
        c.line("}");
        c.blank();
        c.line("@Override");
        c.line("public String toString() {");
        c.line("return \"" + name + "[\" + " + String.join(" + \", \" + ", shown) + " + \"]\";");
        c.line("}");
    }
}
