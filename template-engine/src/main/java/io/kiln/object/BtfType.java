package io.kiln.object;

import java.util.List;

/**
 * One BTF type, as {@code linux/btf.h} encodes it. Type ids are indexes into {@link Btf}; id 0 is
 * {@link Void}. Types that refer to others hold the other's id, so a walker resolves them through
 * {@link Btf#type(int)} / {@link Btf#resolve(int)}. Anonymous types have an empty name.
 */
public sealed interface BtfType {

    int id();

    /** The name; empty for anonymous types, pointers, arrays, qualifiers and prototypes. */
    String name();

    BtfKind kind();

    /** Types whose whole meaning is another type plus a name or qualifier (typedef, const, volatile, restrict, type tag). */
    sealed interface Alias extends BtfType {
        int target();
    }

    /** Struct or union. */
    sealed interface Composite extends BtfType {
        int size();

        List<Member> members();
    }

    /** The type of nothing (id 0): {@code void}, or the end of a variadic parameter list. */
    record Void() implements BtfType {
        public int id() { return 0; }
        public String name() { return "void"; }
        public BtfKind kind() { return BtfKind.VOID; }
    }

    /**
     * An integer. {@code bits} may be less than {@code size * 8} (for legacy bitfield encoding),
     * {@code bitOffset} is then the offset of those bits within the integer.
     */
    record Int(int id, String name, int size, int bitOffset, int bits, boolean signed, boolean isChar,
               boolean isBool) implements BtfType {
        public BtfKind kind() { return BtfKind.INT; }
    }

    record Ptr(int id, int target) implements BtfType {
        public String name() { return ""; }
        public BtfKind kind() { return BtfKind.PTR; }
    }

    /** {@code length} elements of {@code elementType}; {@code length} 0 for a flexible array. */
    record Array(int id, int elementType, int indexType, int length) implements BtfType {
        public String name() { return ""; }
        public BtfKind kind() { return BtfKind.ARRAY; }
    }

    record Struct(int id, String name, int size, List<Member> members) implements Composite {
        public Struct { members = List.copyOf(members); }
        public BtfKind kind() { return BtfKind.STRUCT; }
    }

    record Union(int id, String name, int size, List<Member> members) implements Composite {
        public Union { members = List.copyOf(members); }
        public BtfKind kind() { return BtfKind.UNION; }
    }

    /**
     * A member of a struct or union. {@code bitOffset} counts from the start of the enclosing type;
     * {@code bitfieldSize} is the width of a bitfield, 0 for an ordinary member. Anonymous members
     * (nested anonymous structs or unions) have an empty name.
     */
    record Member(String name, int typeId, int bitOffset, int bitfieldSize) {
        public boolean isBitfield() { return bitfieldSize != 0; }

        /** Byte offset of an ordinary member (for a bitfield: of the byte holding its first bit). */
        public int byteOffset() { return bitOffset / 8; }
    }

    record Enum(int id, String name, int size, boolean signed, List<EnumValue> values) implements BtfType {
        public Enum { values = List.copyOf(values); }
        public BtfKind kind() { return BtfKind.ENUM; }
    }

    record Enum64(int id, String name, int size, boolean signed, List<EnumValue> values) implements BtfType {
        public Enum64 { values = List.copyOf(values); }
        public BtfKind kind() { return BtfKind.ENUM64; }
    }

    /** An enumerator; unsigned enums hold their value as a non-negative long (except 64-bit ones above Long.MAX_VALUE). */
    record EnumValue(String name, long value) {
    }

    /** A forward declaration ({@code struct foo;} or {@code union foo;}) whose body the object does not have. */
    record Fwd(int id, String name, boolean union) implements BtfType {
        public BtfKind kind() { return BtfKind.FWD; }
    }

    record Typedef(int id, String name, int target) implements Alias {
        public BtfKind kind() { return BtfKind.TYPEDEF; }
    }

    /** {@code volatile}, {@code const} or {@code restrict}: {@code kind} says which. */
    record Qualifier(int id, BtfKind kind, int target) implements Alias {
        public Qualifier {
            if (kind != BtfKind.VOLATILE && kind != BtfKind.CONST && kind != BtfKind.RESTRICT) {
                throw new IllegalArgumentException("not a qualifier kind: " + kind);
            }
        }

        public String name() { return ""; }

        /** The C keyword: {@code volatile}, {@code const} or {@code restrict}. */
        public String keyword() { return kind.name().toLowerCase(java.util.Locale.ROOT); }
    }

    /** {@code __attribute__((btf_type_tag("name")))} on the target type. */
    record TypeTag(int id, String name, int target) implements Alias {
        public BtfKind kind() { return BtfKind.TYPE_TAG; }
    }

    /** A function; {@code linkage} 0 static, 1 global, 2 extern. */
    record Func(int id, String name, int protoId, int linkage) implements BtfType {
        public BtfKind kind() { return BtfKind.FUNC; }
    }

    /** A function prototype. A variadic one ends with a parameter of type 0 and no name. */
    record FuncProto(int id, int returnType, List<Param> params) implements BtfType {
        public FuncProto { params = List.copyOf(params); }
        public String name() { return ""; }
        public BtfKind kind() { return BtfKind.FUNC_PROTO; }
    }

    record Param(String name, int typeId) {
    }

    /** A global or static variable; {@code linkage} 0 static, 1 global, 2 extern. */
    record Var(int id, String name, int typeId, int linkage) implements BtfType {
        public BtfKind kind() { return BtfKind.VAR; }
    }

    /**
     * The variables of one ELF section, as the BTF encodes them. clang leaves {@code size} and the
     * offsets 0 and libbpf fills them in from the ELF symbols: use {@link ObjectInfo#variables(String)}
     * for real offsets.
     */
    record DataSec(int id, String name, int size, List<VarSecInfo> variables) implements BtfType {
        public DataSec { variables = List.copyOf(variables); }
        public BtfKind kind() { return BtfKind.DATASEC; }
    }

    record VarSecInfo(int typeId, int offset, int size) {
    }

    record Float(int id, String name, int size) implements BtfType {
        public BtfKind kind() { return BtfKind.FLOAT; }
    }

    /**
     * {@code __attribute__((btf_decl_tag("name")))} on the target type or variable or function;
     * {@code componentIndex} is -1 for the target itself, else the member or parameter index.
     */
    record DeclTag(int id, String name, int target, int componentIndex) implements BtfType {
        public BtfKind kind() { return BtfKind.DECL_TAG; }
    }
}
