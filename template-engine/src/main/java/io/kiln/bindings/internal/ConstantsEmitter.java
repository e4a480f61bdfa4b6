package io.kiln.bindings.internal;

import io.kiln.object.ObjectInfo;
import io.kiln.template.ConstantDecl;
import io.kiln.template.ConstantType;
import io.kiln.template.TemplateDescriptor;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the {@code Constants} record: one typed component per endpoint constant, range-checked,
 * with a builder that starts from the values compiled into the object and {@code encode()}, which
 * gives each constant's bytes as {@code BpfObject.setConstant} takes them (integers little-endian,
 * as the {@code bpfel} object holds them; addresses in network order).
 */
final class ConstantsEmitter {
    private final JavaCode c;

    ConstantsEmitter(JavaCode c) {
        this.c = c;
    }

    private record Component(String name, ConstantDecl decl, byte[] compiled) {
    }

    void emit(TemplateDescriptor template, ObjectInfo info) {
        JavaNames.Unique names = new JavaNames.Unique();
        List<Component> components = new ArrayList<>();
        for (ConstantDecl d : template.constants()) {
            byte[] compiled = info.constantDefault(d.name()).filter(b -> b.length == d.type().size())
                    .orElse(new byte[d.type().size()]);
            components.add(new Component(names.take(JavaNames.camel(d.name())), d, compiled));
        }
        List<String> doc = new ArrayList<>(List.of(
                "The endpoint constants of {@code " + template.name() + "}: values set per endpoint at load time,",
                "which the verifier sees as constants. {@link #encode()} gives each one's bytes for",
                "{@code BpfObject.setConstant(name, bytes)}; {@link #builder()} starts from the values compiled",
                "into the object.", ""));
        for (Component k : components) {
            doc.add("@param " + k.name() + " {@code " + k.decl().name() + "} (" + k.decl().type().yamlName() + ")"
                    + (k.decl().description().isEmpty() ? "" : ": " + JavaCode.text(k.decl().description())));
        }
        List<String> params = components.stream().map(k -> type(k.decl().type()) + " " + k.name()).toList();
        c.blank();
        c.doc(doc.toArray(String[]::new));
        c.line("public record Constants(" + String.join(", ", params) + ") {");
        c.doc("The values compiled into the object: what an endpoint gets for a constant it does not set.");
        c.line("public static final Constants COMPILED = new Constants("
                + String.join(", ", components.stream().map(ConstantsEmitter::compiledValue).toList()) + ");");
        c.blank();
        c.line("public Constants {");
        for (Component k : components) {
            check(k);
        }
        c.line("}");
        c.blank();
        c.doc("A builder starting from {@link #COMPILED}.");
        c.line("public static Builder builder() {");
        c.line("return new Builder(COMPILED);");
        c.line("}");
        c.blank();
        c.doc("A builder starting from these values.");
        c.line("public Builder toBuilder() {");
        c.line("return new Builder(this);");
        c.line("}");
        c.blank();
        c.doc("Name to bytes of every constant, in the descriptor's order.");
        c.line("public java.util.Map<String, byte[]> encode() {");
        c.line("java.util.Map<String, byte[]> out_ = new java.util.LinkedHashMap<>();");
        for (Component k : components) {
            c.line("out_.put(" + JavaCode.literal(k.decl().name()) + ", " + encode(k) + ");");
        }
        c.line("return out_;");
        c.line("}");
        c.blank();
        c.doc("Reads constants from name to bytes (as {@link #encode()} gives them); absent ones keep their compiled value.");
        c.line("public static Constants decode(java.util.Map<String, byte[]> values_) {");
        c.line("Builder b_ = builder();");
        for (Component k : components) {
            c.line("if (values_.containsKey(" + JavaCode.literal(k.decl().name()) + ")) {");
            c.line("b_." + k.name() + "(" + decode(k, "values_.get(" + JavaCode.literal(k.decl().name()) + ")") + ");");
            c.line("}");
        }
        c.line("return b_.build();");
        c.line("}");
        builder(components);
        c.line("}");
    }

    private void builder(List<Component> components) {
        c.blank();
        c.doc("Builds {@link Constants}; values are checked by {@link #build()}.");
        c.line("public static final class Builder {");
        for (Component k : components) {
            c.line("private " + type(k.decl().type()) + " " + k.name() + ";");
        }
        c.blank();
        c.line("private Builder(Constants from_) {");
        for (Component k : components) {
            c.line("this." + k.name() + " = from_." + k.name() + ";");
        }
        c.line("}");
        for (Component k : components) {
            String type = type(k.decl().type());
            c.blank();
            c.doc("Sets {@code " + k.decl().name() + "}.");
            c.line("public Builder " + k.name() + "(" + type + " value) {");
            c.line("this." + k.name() + " = value;");
            c.line("return this;");
            c.line("}");
            String parser = switch (k.decl().type()) {
                case IPV4 -> "ipv4";
                case IPV6 -> "ipv6";
                case MAC -> "mac";
                default -> null;
            };
            if (parser != null) {
                c.blank();
                c.doc("Sets {@code " + k.decl().name() + "} from its text form.");
                c.line("public Builder " + k.name() + "(String text) {");
                c.line("this." + k.name() + " = " + parser + "(" + JavaCode.literal(k.decl().name()) + ", text);");
                c.line("return this;");
                c.line("}");
            }
        }
        c.blank();
        c.doc("The constants; fails naming the first value out of its range.");
        c.line("public Constants build() {");
        c.line("return new Constants(" + String.join(", ", components.stream().map(Component::name).toList()) + ");");
        c.line("}");
        c.line("}");
    }

    static String type(ConstantType t) {
        return switch (t) {
            case U8, U16 -> "int";
            case U32, U64, MAC -> "long";
            case BOOL -> "boolean";
            case IPV4 -> "Inet4Address";
            case IPV6 -> "Inet6Address";
        };
    }

    private void check(Component k) {
        String label = JavaCode.literal(k.decl().name());
        switch (k.decl().type()) {
            case U8, U16, U32 -> c.line("checkUnsigned(" + label + ", " + k.name() + ", " + k.decl().type().size() * 8
                    + ");");
            case MAC -> c.line("checkUnsigned(" + label + ", " + k.name() + ", 48);");
            case IPV4, IPV6 -> c.line("java.util.Objects.requireNonNull(" + k.name() + ", " + label + ");");
            default -> { }
        }
    }

    private static String encode(Component k) {
        return switch (k.decl().type()) {
            case U8, U16, U32, U64 -> "integer(" + k.name() + ", " + k.decl().type().size() + ")";
            case BOOL -> "new byte[] {(byte) (" + k.name() + " ? 1 : 0)}";
            case IPV4, IPV6 -> k.name() + ".getAddress()";
            case MAC -> "mac(" + k.name() + ")";
        };
    }

    private static String decode(Component k, String bytes) {
        String label = JavaCode.literal(k.decl().name());
        int size = k.decl().type().size();
        return switch (k.decl().type()) {
            case U8, U16 -> "(int) integer(" + label + ", " + bytes + ", " + size + ")";
            case U32, U64 -> "integer(" + label + ", " + bytes + ", " + size + ")";
            case BOOL -> "integer(" + label + ", " + bytes + ", 1) != 0";
            case IPV4 -> "ipv4(" + bytes + ")";
            case IPV6 -> "ipv6(" + bytes + ")";
            case MAC -> "get(" + bytes + ", 0, 6, true)";
        };
    }

    private static String compiledValue(Component k) {
        byte[] b = k.compiled();
        return switch (k.decl().type()) {
            case U8, U16 -> Long.toString(littleEndian(b));
            case U32, U64 -> "0x" + Long.toHexString(littleEndian(b)) + "L";
            case BOOL -> Boolean.toString(b[0] != 0);
            case IPV4 -> "ipv4(" + byteArray(b) + ")";
            case IPV6 -> "ipv6(" + byteArray(b) + ")";
            case MAC -> "0x" + Long.toHexString(bigEndian(b)) + "L";
        };
    }

    private static long littleEndian(byte[] b) {
        long v = 0;
        for (int i = b.length - 1; i >= 0; i--) {
            v = v << 8 | (b[i] & 0xff);
        }
        return v;
    }

    private static long bigEndian(byte[] b) {
        long v = 0;
        for (byte x : b) {
            v = v << 8 | (x & 0xff);
        }
        return v;
    }

    private static String byteArray(byte[] b) {
        List<String> parts = new ArrayList<>();
        for (byte x : b) {
            parts.add("(byte) " + (x & 0xff));
        }
        return "new byte[] {" + String.join(", ", parts) + "}";
    }
}
