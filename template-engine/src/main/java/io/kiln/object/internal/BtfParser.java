package io.kiln.object.internal;

import io.kiln.object.BtfKind;
import io.kiln.object.BtfType;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes a raw {@code .BTF} blob (header, type section, string section) into types indexed by
 * id, and checks what a reader must be able to rely on afterwards: every referenced type exists
 * and no chain of references loops (so resolving and sizing always terminate).
 */
public final class BtfParser {
    private static final int MAGIC = 0xeb9f;
    private static final int MIN_HEADER = 24;
    private static final int TYPE_HEADER = 12;

    private final ByteReader types;
    private final ByteReader strings;

    private BtfParser(ByteReader types, ByteReader strings) {
        this.types = types;
        this.strings = strings;
    }

    /** Types indexed by id; element 0 is {@link BtfType.Void}. */
    public static List<BtfType> parse(ByteReader btf) {
        int magic = btf.u16(0);
        if (magic != MAGIC) {
            throw new FormatException(magic == 0x9feb
                    ? "BTF is big-endian; only little-endian is supported"
                    : String.format("bad BTF magic 0x%04x (expected 0x%04x)", magic, MAGIC));
        }
        int version = btf.u8(2);
        if (version != 1) {
            throw new FormatException("unsupported BTF version " + version);
        }
        long headerLength = btf.u32(4);
        if (headerLength < MIN_HEADER) {
            throw new FormatException("BTF header length " + headerLength + " is shorter than " + MIN_HEADER);
        }
        ByteReader body = btf.slice(headerLength, btf.length() - headerLength, "BTF data after its header");
        ByteReader types = body.slice(btf.u32(8), btf.u32(12), "BTF type section");
        ByteReader strings = body.slice(btf.u32(16), btf.u32(20), "BTF string section");
        if (strings.length() > 0 && strings.u8(0) != 0) {
            throw new FormatException("BTF string section does not start with an empty string");
        }
        List<BtfType> result = new BtfParser(types, strings).readTypes();
        BtfChecks.check(result);
        return result;
    }

    private List<BtfType> readTypes() {
        List<BtfType> result = new ArrayList<>();
        result.add(new BtfType.Void());
        long pos = 0;
        while (pos < types.length()) {
            int id = result.size();
            long[] next = {pos + TYPE_HEADER};
            try {
                result.add(readType(id, pos, next));
            } catch (FormatException e) {
                throw e.getMessage().startsWith("BTF type [") ? e
                        : new FormatException("BTF type [" + id + "] at offset " + pos + ": " + e.getMessage());
            }
            pos = next[0];
        }
        return List.copyOf(result);
    }

    private BtfType readType(int id, long pos, long[] next) {
        String name = name(types.u32(pos), id);
        int info = types.i32(pos + 4);
        int vlen = info & 0xffff;
        int kindCode = (info >>> 24) & 0x1f;
        boolean kindFlag = (info >>> 31) != 0;
        int sizeOrType = types.i32(pos + 8);
        long extra = pos + TYPE_HEADER;
        BtfKind kind = BtfKind.ofCode(kindCode);
        if (kind == null) {
            throw new FormatException("BTF type [" + id + "] has unknown kind " + kindCode
                    + " (this reader knows kinds 1.." + BtfKind.ENUM64.code() + ")");
        }
        switch (kind) {
            case INT: {
                int encoding = types.i32(extra);
                next[0] = extra + 4;
                int flags = (encoding >>> 24) & 0x0f;
                return new BtfType.Int(id, name, sizeOrType, (encoding >>> 16) & 0xff, encoding & 0xff,
                        (flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0);
            }
            case PTR:
                return new BtfType.Ptr(id, sizeOrType);
            case ARRAY:
                next[0] = extra + 12;
                return new BtfType.Array(id, types.i32(extra), types.i32(extra + 4), types.i32(extra + 8));
            case STRUCT:
            case UNION: {
                List<BtfType.Member> members = new ArrayList<>(vlen);
                for (int i = 0; i < vlen; i++) {
                    long m = extra + 12L * i;
                    int offset = types.i32(m + 8);
                    members.add(kindFlag
                            ? new BtfType.Member(name(types.u32(m), id), types.i32(m + 4), offset & 0xffffff, offset >>> 24)
                            : new BtfType.Member(name(types.u32(m), id), types.i32(m + 4), offset, 0));
                }
                next[0] = extra + 12L * vlen;
                return kind == BtfKind.STRUCT
                        ? new BtfType.Struct(id, name, sizeOrType, members)
                        : new BtfType.Union(id, name, sizeOrType, members);
            }
            case ENUM: {
                List<BtfType.EnumValue> values = new ArrayList<>(vlen);
                for (int i = 0; i < vlen; i++) {
                    long e = extra + 8L * i;
                    int v = types.i32(e + 4);
                    values.add(new BtfType.EnumValue(name(types.u32(e), id), kindFlag ? v : Integer.toUnsignedLong(v)));
                }
                next[0] = extra + 8L * vlen;
                return new BtfType.Enum(id, name, sizeOrType, kindFlag, values);
            }
            case ENUM64: {
                List<BtfType.EnumValue> values = new ArrayList<>(vlen);
                for (int i = 0; i < vlen; i++) {
                    long e = extra + 12L * i;
                    values.add(new BtfType.EnumValue(name(types.u32(e), id), types.u32(e + 4) | (long) types.i32(e + 8) << 32));
                }
                next[0] = extra + 12L * vlen;
                return new BtfType.Enum64(id, name, sizeOrType, kindFlag, values);
            }
            case FWD:
                return new BtfType.Fwd(id, name, kindFlag);
            case TYPEDEF:
                return new BtfType.Typedef(id, name, sizeOrType);
            case VOLATILE:
            case CONST:
            case RESTRICT:
                return new BtfType.Qualifier(id, kind, sizeOrType);
            case TYPE_TAG:
                return new BtfType.TypeTag(id, name, sizeOrType);
            case FUNC:
                return new BtfType.Func(id, name, sizeOrType, vlen);
            case FUNC_PROTO: {
                List<BtfType.Param> params = new ArrayList<>(vlen);
                for (int i = 0; i < vlen; i++) {
                    long p = extra + 8L * i;
                    params.add(new BtfType.Param(name(types.u32(p), id), types.i32(p + 4)));
                }
                next[0] = extra + 8L * vlen;
                return new BtfType.FuncProto(id, sizeOrType, params);
            }
            case VAR:
                next[0] = extra + 4;
                return new BtfType.Var(id, name, sizeOrType, types.i32(extra));
            case DATASEC: {
                List<BtfType.VarSecInfo> vars = new ArrayList<>(vlen);
                for (int i = 0; i < vlen; i++) {
                    long v = extra + 12L * i;
                    vars.add(new BtfType.VarSecInfo(types.i32(v), types.i32(v + 4), types.i32(v + 8)));
                }
                next[0] = extra + 12L * vlen;
                return new BtfType.DataSec(id, name, sizeOrType, vars);
            }
            case FLOAT:
                return new BtfType.Float(id, name, sizeOrType);
            case DECL_TAG:
                next[0] = extra + 4;
                return new BtfType.DeclTag(id, name, sizeOrType, types.i32(extra));
            default:
                throw new FormatException("BTF type [" + id + "] has unsupported kind " + kind);
        }
    }

    private String name(long offset, int id) {
        if (offset >= strings.length()) {
            throw new FormatException("BTF type [" + id + "] names string offset " + offset
                    + ", past the end of the string section (" + strings.length() + " bytes)");
        }
        return strings.cString(offset);
    }
}
