package io.kiln.object;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The BTF reader against bpftool's dump of the same objects, type by type, plus the helpers a code generator uses. */
class BtfTest {
    @TempDir
    static Path work;

    static Path endpoint;
    static Path kinds;

    @BeforeAll
    static void compile() throws Exception {
        endpoint = Tools.compile(work, "endpoint.bpf.c", true);
        kinds = Tools.compile(work, "kinds.bpf.c", true);
    }

    @ParameterizedTest
    @ValueSource(strings = {"endpoint", "kinds"})
    void everyTypeMatchesBpftool(String which) throws Exception {
        Tools.assumeInstalled("bpftool");
        Path object = which.equals("endpoint") ? endpoint : kinds;
        Btf btf = ObjectInfo.read(object).btf();
        BpftoolBtf oracle = BpftoolBtf.parse(Tools.run(work, "bpftool", "btf", "dump", "file", object.toString()));

        assertEquals(oracle.types().size(), btf.count() - 1, "number of types");
        for (BpftoolBtf.Type expected : oracle.types().values()) {
            BtfType actual = btf.type(expected.id());
            String where = "[" + expected.id() + "] " + expected;
            assertEquals(expected.kind(), actual.kind().name(), where);
            assertEquals(expected.name().equals("(anon)") ? "" : expected.name(),
                    actual instanceof BtfType.Qualifier ? "" : actual.name(), where);
            checkAttributes(expected, actual, where);
        }
    }

    private static void checkAttributes(BpftoolBtf.Type e, BtfType actual, String where) {
        if (actual instanceof BtfType.Int t) {
            assertEquals(e.getInt("size"), t.size(), where);
            assertEquals(e.getInt("bits_offset"), t.bitOffset(), where);
            assertEquals(e.getInt("nr_bits"), t.bits(), where);
            String encoding = t.signed() ? "SIGNED" : t.isChar() ? "CHAR" : t.isBool() ? "BOOL" : "(none)";
            assertEquals(e.get("encoding"), encoding, where);
        } else if (actual instanceof BtfType.Ptr t) {
            assertEquals(e.getInt("type_id"), t.target(), where);
        } else if (actual instanceof BtfType.Alias t) {
            assertEquals(e.getInt("type_id"), t.target(), where);
        } else if (actual instanceof BtfType.Array t) {
            assertEquals(e.getInt("type_id"), t.elementType(), where);
            assertEquals(e.getInt("index_type_id"), t.indexType(), where);
            assertEquals(e.getInt("nr_elems"), t.length(), where);
        } else if (actual instanceof BtfType.Composite t) {
            assertEquals(e.getInt("size"), t.size(), where);
            assertEquals(e.getInt("vlen"), t.members().size(), where);
            for (int i = 0; i < t.members().size(); i++) {
                BpftoolBtf.Line line = e.lines().get(i);
                BtfType.Member m = t.members().get(i);
                assertEquals(line.name().equals("(anon)") ? "" : line.name(), m.name(), where);
                assertEquals(line.getInt("type_id"), m.typeId(), where + " member " + m.name());
                assertEquals(line.getInt("bits_offset"), m.bitOffset(), where + " member " + m.name());
                int bitfield = line.attributes().containsKey("bitfield_size") ? line.getInt("bitfield_size") : 0;
                assertEquals(bitfield, m.bitfieldSize(), where + " member " + m.name());
            }
        } else if (actual instanceof BtfType.Enum t) {
            checkEnum(e, t.size(), t.signed(), t.values(), where);
        } else if (actual instanceof BtfType.Enum64 t) {
            checkEnum(e, t.size(), t.signed(), t.values(), where);
        } else if (actual instanceof BtfType.Fwd t) {
            assertEquals(e.get("fwd_kind"), t.union() ? "union" : "struct", where);
        } else if (actual instanceof BtfType.Func t) {
            assertEquals(e.getInt("type_id"), t.protoId(), where);
            assertEquals(e.get("linkage"), List.of("static", "global", "extern").get(t.linkage()), where);
        } else if (actual instanceof BtfType.FuncProto t) {
            assertEquals(e.getInt("ret_type_id"), t.returnType(), where);
            assertEquals(e.getInt("vlen"), t.params().size(), where);
            for (int i = 0; i < t.params().size(); i++) {
                assertEquals(e.lines().get(i).getInt("type_id"), t.params().get(i).typeId(), where);
            }
        } else if (actual instanceof BtfType.Var t) {
            assertEquals(e.getInt("type_id"), t.typeId(), where);
            assertEquals(e.get("linkage"), List.of("static", "global", "extern").get(t.linkage()), where);
        } else if (actual instanceof BtfType.DataSec t) {
            assertEquals(e.getInt("size"), t.size(), where);
            assertEquals(e.getInt("vlen"), t.variables().size(), where);
            for (int i = 0; i < t.variables().size(); i++) {
                BpftoolBtf.Line line = e.lines().get(i);
                assertEquals(line.getInt("type_id"), t.variables().get(i).typeId(), where);
                assertEquals(line.getInt("offset"), t.variables().get(i).offset(), where);
                assertEquals(line.getInt("size"), t.variables().get(i).size(), where);
            }
        } else if (actual instanceof BtfType.Float t) {
            assertEquals(e.getInt("size"), t.size(), where);
        } else if (actual instanceof BtfType.DeclTag t) {
            assertEquals(e.getInt("type_id"), t.target(), where);
            assertEquals(e.getInt("component_idx"), t.componentIndex(), where);
        } else {
            throw new AssertionError("no check for " + actual);
        }
    }

    private static void checkEnum(BpftoolBtf.Type e, int size, boolean signed, List<BtfType.EnumValue> values, String where) {
        assertEquals(e.getInt("size"), size, where);
        assertEquals(e.get("encoding"), signed ? "SIGNED" : "UNSIGNED", where);
        assertEquals(e.getInt("vlen"), values.size(), where);
        for (int i = 0; i < values.size(); i++) {
            assertEquals(e.lines().get(i).name(), values.get(i).name(), where);
            String printed = e.lines().get(i).attributes().get("val").replaceAll("U?LL$", "");
            long expected = signed ? Long.parseLong(printed) : Long.parseUnsignedLong(printed);
            assertEquals(expected, values.get(i).value(), where + " " + values.get(i).name());
        }
    }

    /** The running kernel's BTF has every kind (ENUM64, TYPE_TAG, DECL_TAG ...) and 100k+ types: read it as a file. */
    @Test
    void kernelBtfMatchesBpftool() throws Exception {
        Path vmlinux = Path.of("/sys/kernel/btf/vmlinux");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isReadable(vmlinux),
                "this kernel publishes no BTF at " + vmlinux);
        Tools.assumeInstalled("bpftool");
        Btf btf = Btf.parse(java.nio.file.Files.readAllBytes(vmlinux), vmlinux.toString());
        BpftoolBtf oracle = BpftoolBtf.parse(Tools.run(work, "bpftool", "btf", "dump", "file", vmlinux.toString()));
        assertEquals(oracle.types().size(), btf.count() - 1, "number of types");
        for (BpftoolBtf.Type expected : oracle.types().values()) {
            BtfType actual = btf.type(expected.id());
            String where = "[" + expected.id() + "] " + expected.kind() + " " + expected.name();
            assertEquals(expected.kind(), actual.kind().name(), where);
            checkAttributes(expected, actual, where);
        }
        assertEquals("struct sk_buff", btf.typeName(btf.find(BtfKind.STRUCT, "sk_buff").orElseThrow().id()));
        assertTrue(btf.types().stream().anyMatch(t -> t instanceof BtfType.Enum64));
    }

    @ParameterizedTest
    @ValueSource(strings = {"endpoint", "kinds"})
    void sizeOfMatchesBpftoolForEverySizedType(String which) throws Exception {
        Tools.assumeInstalled("bpftool");
        Path object = which.equals("endpoint") ? endpoint : kinds;
        Btf btf = ObjectInfo.read(object).btf();
        BpftoolBtf oracle = BpftoolBtf.parse(Tools.run(work, "bpftool", "btf", "dump", "file", object.toString()));
        int checked = 0;
        for (BpftoolBtf.Type t : oracle.types().values()) {
            if (List.of("FUNC", "FUNC_PROTO", "FWD", "DECL_TAG", "DATASEC").contains(t.kind())) {
                continue;
            }
            assertEquals(oracle.sizeOf(t.id()), btf.sizeOf(t.id()), t.toString());
            checked++;
        }
        assertTrue(checked > 40, "checked " + checked);
    }

    @Test
    void keyStructCanBeWalkedForGeneratedAccessors() {
        ObjectInfo info = ObjectInfo.read(endpoint);
        Btf btf = info.btf();
        MapInfo policy = info.map("policy").orElseThrow();

        BtfType.Struct key = assertInstanceOf(BtfType.Struct.class, btf.resolve(policy.keyTypeId()));
        assertEquals("policy_key", key.name());
        assertEquals(8, btf.sizeOf(key.id()));
        assertEquals(List.of("identity:0:4", "port:4:2", "proto:6:1", "dir:7:1"), key.members().stream()
                .map(m -> m.name() + ":" + m.byteOffset() + ":" + btf.sizeOf(m.typeId())).toList());
        for (BtfType.Member m : key.members()) {
            BtfType.Int i = assertInstanceOf(BtfType.Int.class, btf.resolve(m.typeId()));
            assertFalse(i.signed(), m.name());
        }

        BtfType.Struct value = assertInstanceOf(BtfType.Struct.class, btf.resolve(policy.valueTypeId()));
        Map<String, BtfType.Member> members = value.members().stream()
                .collect(java.util.stream.Collectors.toMap(BtfType.Member::name, m -> m));
        assertEquals(3, members.get("flags").bitfieldSize());
        assertEquals(128, members.get("flags").bitOffset());
        assertEquals(16, members.get("proxy_port").bitfieldSize());
        assertEquals(131, members.get("proxy_port").bitOffset());
        assertTrue(assertInstanceOf(BtfType.Int.class, btf.resolve(members.get("verdict").typeId())).signed());
        BtfType.Array pad = assertInstanceOf(BtfType.Array.class, btf.resolve(members.get("pad").typeId()));
        assertEquals(4, pad.length());
        assertEquals("__u8", btf.typeName(pad.elementType()));
        assertEquals(24, members.get("pad").byteOffset());

        BtfType.Struct lpmKey = assertInstanceOf(BtfType.Struct.class, btf.resolve(info.map("ipcache").orElseThrow().keyTypeId()));
        BtfType.Struct nested = assertInstanceOf(BtfType.Struct.class, btf.resolve(lpmKey.members().get(0).typeId()));
        assertEquals("bpf_lpm_trie_key", nested.name());
        assertEquals(0, assertInstanceOf(BtfType.Array.class, btf.resolve(nested.members().get(1).typeId())).length(),
                "flexible array member");
    }

    @Test
    void typeNamesReadLikeC() {
        Btf btf = ObjectInfo.read(kinds).btf();
        BtfType.Struct s = (BtfType.Struct) btf.find(BtfKind.STRUCT, "kinds").orElseThrow();
        Map<String, String> names = new java.util.LinkedHashMap<>();
        for (BtfType.Member m : s.members()) {
            names.put(m.name(), btf.typeName(m.typeId()));
        }
        assertEquals("float", names.get("ratio"));
        assertEquals("double", names.get("big"));
        assertEquals("enum verdict", names.get("v"));
        assertEquals("union (anon)", names.get("u"));
        assertEquals("struct (anon)", names.get("nested"));
        assertEquals("__u32[2][3]", names.get("matrix"));
        assertEquals("int (*)(void *, ...)", names.get("cb"));
        assertEquals("struct undefined_thing *", names.get("fwd"));
        assertEquals("int *", names.get("tagged"));
        assertEquals("__s8", names.get("small"));
        assertEquals("__u64", names.get("rest"));

        assertEquals("int helper(int *restrict p)", btf.typeName(btf.find(BtfKind.FUNC, "helper").orElseThrow().id()));
        assertEquals("int ingress(struct __sk_buff *skb)", btf.typeName(btf.find(BtfKind.FUNC, "ingress").orElseThrow().id()));
        assertEquals("void", btf.typeName(0));

        Btf endpointBtf = ObjectInfo.read(endpoint).btf();
        BtfType.Struct def = (BtfType.Struct) endpointBtf.resolve(
                ((BtfType.Var) endpointBtf.find(BtfKind.VAR, "metrics").orElseThrow()).typeId());
        assertEquals("int (*)[6]", endpointBtf.typeName(def.members().get(0).typeId()), "__uint(type, 6)");
    }

    @Test
    void resolveSkipsTypedefsAndQualifiersAndEnumsKeepSignedness() {
        Btf btf = ObjectInfo.read(kinds).btf();
        BtfType.Var hidden = (BtfType.Var) btf.find(BtfKind.VAR, "HIDDEN").orElseThrow();
        assertInstanceOf(BtfType.Qualifier.class, btf.type(hidden.typeId()));
        BtfType.Int u32 = assertInstanceOf(BtfType.Int.class, btf.resolve(hidden.typeId()));
        assertEquals("unsigned int", u32.name());
        assertEquals(4, btf.sizeOf(hidden.id()), "a VAR has its type's size");

        BtfType.Enum verdict = (BtfType.Enum) btf.find(BtfKind.ENUM, "verdict").orElseThrow();
        assertEquals(List.of("V_ALLOW", "V_DENY"), verdict.values().stream().map(BtfType.EnumValue::name).toList());

        BtfType.Fwd fwd = (BtfType.Fwd) btf.find(BtfKind.FWD, "undefined_thing").orElseThrow();
        InvalidObjectException e = assertThrows(InvalidObjectException.class, () -> btf.sizeOf(fwd.id()));
        assertTrue(e.getMessage().contains("FWD 'undefined_thing' has no size"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> btf.type(btf.count()));
    }

    @Test
    void objectWithoutDebugInfoHasEmptyBtf() throws Exception {
        ObjectInfo info = ObjectInfo.read(Tools.compile(work, "nobtf.bpf.c", false));
        assertTrue(info.btf().isEmpty());
        assertEquals(1, info.btf().count());
        assertTrue(info.btf().dataSec(".rodata").isEmpty());
    }
}
