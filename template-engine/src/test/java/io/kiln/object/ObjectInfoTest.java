package io.kiln.object;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.KilnException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Programs, maps, variables, sections and license of real clang objects, checked against bpftool and LLVM's tools. */
class ObjectInfoTest {
    @TempDir
    static Path work;

    static Path endpoint;
    static ObjectInfo info;

    @BeforeAll
    static void compile() throws Exception {
        endpoint = Tools.compile(work, "endpoint.bpf.c", true);
        info = ObjectInfo.read(endpoint);
    }

    @Test
    void programs() {
        assertEquals(List.of("from_endpoint", "xdp_entry"), info.programs().stream().map(ProgramInfo::name).toList());
        assertEquals("tc", info.program("from_endpoint").orElseThrow().section());
        assertEquals("xdp", info.program("xdp_entry").orElseThrow().section());
        assertTrue(info.program("from_endpoint").orElseThrow().instructions() > 10);
        assertTrue(info.program("lookup").isEmpty(), "always-inline helpers are not programs");
    }

    @Test
    void programsMatchLlvmSymbolTable() throws Exception {
        Tools.assumeInstalled("llvm-readelf", "llvm-objdump");
        Map<Integer, LlvmElf.Section> sections = LlvmElf.sections(Tools.run(work, "llvm-objdump", "-h", endpoint.toString()));
        List<ProgramInfo> expected = LlvmElf.symbols(Tools.run(work, "llvm-readelf", "-s", "--wide", endpoint.toString()))
                .stream()
                .filter(s -> s.type().equals("FUNC") && s.bind().equals("GLOBAL"))
                .map(s -> new ProgramInfo(s.name(), sections.get(Integer.parseInt(s.ndx())).name(), (int) (s.size() / 8)))
                .sorted(java.util.Comparator.comparing(ProgramInfo::name))
                .toList();
        assertEquals(2, expected.size());
        assertEquals(expected, info.programs().stream().sorted(java.util.Comparator.comparing(ProgramInfo::name)).toList());
    }

    @Test
    void maps() {
        assertEquals(List.of("ipcache", "policy", "metrics", "conntrack"), info.maps().stream().map(MapInfo::name).toList(),
                "in .maps offset order");
        MapInfo policy = info.map("policy").orElseThrow();
        assertEquals(1, policy.type());
        assertEquals("hash", policy.typeName());
        assertEquals(8, policy.keySize());
        assertEquals(32, policy.valueSize());
        assertEquals(1024, policy.maxEntries());
        assertEquals(0, policy.flags());
        assertEquals(MapInfo.PIN_NONE, policy.pinning());
        assertEquals("struct policy_key", info.btf().typeName(policy.keyTypeId()));
        assertEquals("struct policy_entry", info.btf().typeName(policy.valueTypeId()));

        MapInfo ipcache = info.map("ipcache").orElseThrow();
        assertEquals("lpm_trie", ipcache.typeName());
        assertEquals(11, ipcache.type());
        assertEquals(1, ipcache.flags(), "BPF_F_NO_PREALLOC");
        assertTrue(ipcache.pinnedByName());
        assertEquals(8, ipcache.keySize());
        assertEquals(4, ipcache.valueSize());
        assertEquals(512, ipcache.maxEntries());
        assertEquals("__u32", info.btf().typeName(ipcache.valueTypeId()));

        MapInfo metrics = info.map("metrics").orElseThrow();
        assertEquals(new MapInfo("metrics", 6, "percpu_array", 4, 16, 8, 0, 0, 0, 0), metrics, "sizes only, no key/value types");

        MapInfo conntrack = info.map("conntrack").orElseThrow();
        assertEquals("lru_hash", conntrack.typeName());
        assertEquals(8, conntrack.keySize());
        assertEquals(8, conntrack.valueSize());
        assertEquals(4096, conntrack.maxEntries());
    }

    @Test
    void mapsMatchBpftool() throws Exception {
        Tools.assumeInstalled("bpftool");
        BpftoolBtf oracle = BpftoolBtf.parse(Tools.run(work, "bpftool", "btf", "dump", "file", endpoint.toString()));
        BpftoolBtf.Type maps = oracle.named("DATASEC", ".maps");
        assertEquals(maps.lines().size(), info.maps().size());
        for (BpftoolBtf.Line entry : maps.lines()) {
            BpftoolBtf.Type var = oracle.type(entry.getInt("type_id"));
            MapInfo map = info.map(var.name()).orElseThrow(() -> new AssertionError("no map " + var.name()));
            BpftoolBtf.Type def = oracle.type(var.getInt("type_id"));
            assertEquals("STRUCT", def.kind());
            int keyTypeId = 0;
            int valueTypeId = 0;
            for (BpftoolBtf.Line m : def.lines()) {
                int typeId = m.getInt("type_id");
                switch (m.name()) {
                    case "type" -> assertEquals(oracle.uintAttribute(typeId), map.type(), map.name());
                    case "max_entries" -> assertEquals(oracle.uintAttribute(typeId), map.maxEntries(), map.name());
                    case "map_flags" -> assertEquals(oracle.uintAttribute(typeId), map.flags(), map.name());
                    case "pinning" -> assertEquals(oracle.uintAttribute(typeId), map.pinning(), map.name());
                    case "key_size" -> assertEquals(oracle.uintAttribute(typeId), map.keySize(), map.name());
                    case "value_size" -> assertEquals(oracle.uintAttribute(typeId), map.valueSize(), map.name());
                    case "key" -> {
                        keyTypeId = oracle.type(typeId).getInt("type_id");
                        assertEquals(oracle.sizeOf(keyTypeId), map.keySize(), map.name());
                    }
                    case "value" -> {
                        valueTypeId = oracle.type(typeId).getInt("type_id");
                        assertEquals(oracle.sizeOf(valueTypeId), map.valueSize(), map.name());
                    }
                    default -> throw new AssertionError("unexpected map member " + m.name());
                }
            }
            assertEquals(keyTypeId, map.keyTypeId(), map.name());
            assertEquals(valueTypeId, map.valueTypeId(), map.name());
        }
    }

    @Test
    void constants() {
        assertEquals(List.of(
                        new VariableInfo("POLICY_MODE", ".rodata", 0, 1, typeIdOf("POLICY_MODE"), "volatile const __u8"),
                        new VariableInfo("ENDPOINT_ID", ".rodata", 2, 2, typeIdOf("ENDPOINT_ID"), "volatile const __u16"),
                        new VariableInfo("IDENTITY", ".rodata", 4, 4, typeIdOf("IDENTITY"), "volatile const __u32"),
                        new VariableInfo("COOKIE", ".rodata", 8, 8, typeIdOf("COOKIE"), "volatile const __u64"),
                        new VariableInfo("ENDPOINT_IPV6", ".rodata", 16, 16, typeIdOf("ENDPOINT_IPV6"), "volatile const __u8[16]"),
                        new VariableInfo("ENDPOINT_MAC", ".rodata", 32, 6, typeIdOf("ENDPOINT_MAC"), "volatile const __u8[6]")),
                info.constants());
        assertEquals(info.constants(), info.variables(".rodata"));
        assertEquals(6, info.btf().sizeOf(info.constant("ENDPOINT_MAC").orElseThrow().typeId()));
    }

    private static int typeIdOf(String variable) {
        return ((BtfType.Var) info.btf().find(BtfKind.VAR, variable).orElseThrow()).typeId();
    }

    @Test
    void variablesMatchLlvmSymbolsAndBpftool() throws Exception {
        Tools.assumeInstalled("llvm-readelf", "llvm-objdump", "bpftool");
        Map<Integer, LlvmElf.Section> sections = LlvmElf.sections(Tools.run(work, "llvm-objdump", "-h", endpoint.toString()));
        List<LlvmElf.Symbol> symbols = LlvmElf.symbols(Tools.run(work, "llvm-readelf", "-s", "--wide", endpoint.toString()));
        BpftoolBtf oracle = BpftoolBtf.parse(Tools.run(work, "bpftool", "btf", "dump", "file", endpoint.toString()));
        for (String section : List.of(".rodata", ".data", ".bss", ".maps", "license")) {
            int index = sections.values().stream().filter(s -> s.name().equals(section)).findFirst().orElseThrow().index();
            Map<String, LlvmElf.Symbol> expected = symbols.stream()
                    .filter(s -> s.type().equals("OBJECT") && s.ndx().equals(Integer.toString(index)))
                    .collect(Collectors.toMap(LlvmElf.Symbol::name, s -> s));
            List<VariableInfo> actual = info.variables(section);
            assertEquals(expected.keySet(), actual.stream().map(VariableInfo::name).collect(Collectors.toSet()), section);
            for (VariableInfo v : actual) {
                assertEquals(expected.get(v.name()).value(), v.offset(), v.name() + " offset");
                assertEquals(expected.get(v.name()).size(), v.size(), v.name() + " size");
                assertEquals(section, v.section());
            }
            BpftoolBtf.Type dataSec = oracle.named("DATASEC", section);
            assertEquals(dataSec.lines().size(), actual.size(), section);
            for (BpftoolBtf.Line entry : dataSec.lines()) {
                BpftoolBtf.Type var = oracle.type(entry.getInt("type_id"));
                VariableInfo v = actual.stream().filter(x -> x.name().equals(var.name())).findFirst().orElseThrow();
                assertEquals(entry.getInt("size"), v.size(), v.name());
                assertEquals(var.getInt("type_id"), v.typeId(), v.name());
                assertEquals(oracle.sizeOf(v.typeId()), v.size(), v.name());
            }
        }
    }

    @Test
    void dataAndBssGlobals() {
        assertEquals(List.of(new VariableInfo("last_ifindex", ".data", 0, 4, typeIdOf("last_ifindex"), "__u32")),
                info.variables(".data"));
        assertEquals(List.of(new VariableInfo("packets_seen", ".bss", 0, 8, typeIdOf("packets_seen"), "__u64")),
                info.variables(".bss"));
        assertEquals(List.of(), info.variables(".no-such-section"));
    }

    @Test
    void sectionsMatchLlvmObjdump() throws Exception {
        Tools.assumeInstalled("llvm-objdump");
        Map<Integer, LlvmElf.Section> expected = LlvmElf.sections(Tools.run(work, "llvm-objdump", "-h", endpoint.toString()));
        expected.remove(0);
        assertEquals(expected.size(), info.sections().size());
        for (SectionInfo s : info.sections()) {
            LlvmElf.Section e = expected.get(s.index());
            assertEquals(e.name(), s.name(), "section " + s.index());
            assertEquals(e.size(), s.size(), s.name());
        }
        assertTrue(info.section("tc").orElseThrow().executable());
        assertTrue(info.section(".bss").orElseThrow().writable());
        assertEquals(SectionInfo.SHT_NOBITS, info.section(".bss").orElseThrow().type());
        assertFalse(info.section(".rodata").orElseThrow().writable());
    }

    @Test
    void license() {
        assertEquals(Optional.of("Dual BSD/GPL"), info.license());
    }

    @Test
    void subProgramsStaticConstantsAndCustomRodataSections() throws Exception {
        ObjectInfo kinds = ObjectInfo.read(Tools.compile(work, "kinds.bpf.c", true));
        assertEquals(List.of(new ProgramInfo("ingress", "tcx/ingress", kinds.program("ingress").orElseThrow().instructions())),
                kinds.programs(), "helper() in .text is a sub-program");
        VariableInfo hidden = kinds.constant("HIDDEN").orElseThrow();
        assertEquals(4, hidden.size());
        assertEquals("volatile const __u32", hidden.typeName());
        assertEquals(List.of("CONFIG_VALUE"), kinds.variables(".rodata.config").stream().map(VariableInfo::name).toList());
        assertEquals("array", kinds.map("kmap").orElseThrow().typeName());
        assertEquals(88, kinds.map("kmap").orElseThrow().valueSize());
        assertEquals(Optional.of("GPL"), kinds.license());
    }

    @Test
    void withoutBtfVariablesComeFromSymbols() throws Exception {
        Path object = Tools.compile(work, "nobtf.bpf.c", false);
        ObjectInfo plain = ObjectInfo.read(object);
        assertTrue(plain.btf().isEmpty());
        assertTrue(plain.section(".BTF").isEmpty());
        assertEquals(List.of(
                        new VariableInfo("IDENTITY", ".rodata", 0, 4, 0, ""),
                        new VariableInfo("ENDPOINT_MAC", ".rodata", 4, 6, 0, ""),
                        new VariableInfo("ENDPOINT_ID", ".rodata", 10, 2, 0, "")),
                plain.constants());
        assertEquals(List.of(), plain.maps());
        assertEquals("xdp", plain.program("pass").orElseThrow().section());
    }

    @Test
    void readsFromBytesWithTheGivenName() throws Exception {
        ObjectInfo fromBytes = ObjectInfo.read(Files.readAllBytes(endpoint), "endpoint/variant-abc.o");
        assertEquals("endpoint/variant-abc.o", fromBytes.displayName());
        assertEquals(info.maps(), fromBytes.maps());
        assertEquals(info.constants(), fromBytes.constants());
    }

    @Test
    void missingFileIsAKilnErrorNotAFormatError() {
        Path missing = work.resolve("nope.o");
        KilnException e = assertThrows(KilnException.class, () -> ObjectInfo.read(missing));
        assertFalse(e instanceof InvalidObjectException);
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        assertInstanceOf(java.nio.file.NoSuchFileException.class, e.getCause());
    }
}
