package io.kiln.object;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.kiln.object.internal.ElfFile;
import io.kiln.object.internal.ElfSection;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input of every sort ends in an {@link InvalidObjectException} naming the object and the
 * problem, never in another exception. Fuzzing is seeded (reproducible) and bounded in count.
 */
class InvalidObjectTest {
    private static final String NAME = "bad.o";

    @TempDir
    static Path work;

    static byte[] object;
    static ElfSection btfSection;
    static ElfSection symtab;
    static long sectionTable;

    @BeforeAll
    static void compile() throws Exception {
        object = Files.readAllBytes(Tools.compile(work, "endpoint.bpf.c", true));
        ElfFile elf = ElfFile.parse(object);
        btfSection = elf.section(".BTF").orElseThrow();
        symtab = elf.section(".symtab").orElseThrow();
        sectionTable = ByteBuffer.wrap(object).order(ByteOrder.LITTLE_ENDIAN).getLong(0x28);
    }

    /** Reads, expecting failure, and checks the message is one a user can act on. */
    private static InvalidObjectException invalid(byte[] bytes) {
        InvalidObjectException e = assertThrows(InvalidObjectException.class, () -> ObjectInfo.read(bytes, NAME));
        checkMessage(e);
        return e;
    }

    private static void checkMessage(InvalidObjectException e) {
        assertTrue(e.getMessage().startsWith("invalid BPF object " + NAME + ": "), e.getMessage());
        assertFalse(e.getMessage().contains("internal error"), () -> "a decoding path lacks its own check: " + e.getMessage());
        assertTrue(e.isUserError());
    }

    /** Reads input that may or may not be valid: only an InvalidObjectException with a good message may come out. */
    private static boolean readsOrFailsCleanly(byte[] bytes, String what) {
        try {
            ObjectInfo info = ObjectInfo.read(bytes, NAME);
            info.btf().types().forEach(t -> info.btf().typeName(t.id()));
            return true;
        } catch (InvalidObjectException e) {
            checkMessage(e);
            return false;
        } catch (RuntimeException | StackOverflowError e) {
            throw new AssertionError(what + ": " + e, e);
        }
    }

    private static byte[] patched(int offset, int... values) {
        byte[] copy = object.clone();
        for (int i = 0; i < values.length; i++) {
            copy[offset + i] = (byte) values[i];
        }
        return copy;
    }

    @Test
    void emptyFile() {
        assertEquals("the file is empty", invalid(new byte[0]).problem());
    }

    @Test
    void notElf() {
        InvalidObjectException e = invalid("int main() { return 0; }\n".getBytes(StandardCharsets.UTF_8));
        assertTrue(e.problem().startsWith("not an ELF file (starts with 0x696e7420"), e.problem());
        assertTrue(invalid(new byte[] {0x7f, 'E'}).problem().startsWith("not an ELF file"));
    }

    @Test
    void headerOnlyPartlyThere() {
        assertTrue(invalid(java.util.Arrays.copyOf(object, 40)).problem().contains("an ELF64 header alone needs 64"));
    }

    @Test
    void thirtyTwoBitBigEndianAndForeignObjectsAreRejectedByName() {
        assertEquals("32-bit ELF; BPF objects are ELF64", invalid(patched(4, 1)).problem());
        assertTrue(invalid(patched(5, 2)).problem().startsWith("big-endian ELF; only little-endian"));
        assertTrue(invalid(patched(18, 62, 0)).problem().contains("ELF machine 62 is not BPF"));
        assertTrue(invalid(patched(16, 2, 0)).problem().contains("not a relocatable object"));
    }

    @Test
    void truncatedAtEveryLength() {
        for (int length = 0; length < object.length; length++) {
            byte[] prefix = java.util.Arrays.copyOf(object, length);
            InvalidObjectException e = assertThrows(InvalidObjectException.class, () -> ObjectInfo.read(prefix, NAME),
                    "truncated to " + length + " bytes");
            checkMessage(e);
        }
    }

    @Test
    void sectionOutsideTheFile() {
        ElfSection rodata = ElfFile.parse(object).section(".rodata").orElseThrow();
        byte[] bytes = object.clone();
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong((int) sectionTable + rodata.index() * 64 + 24, 1L << 40);
        assertTrue(invalid(bytes).problem().startsWith("section [" + rodata.index() + "] '.rodata' (offset 1099511627776"),
                invalid(bytes).problem());
    }

    @Test
    void unknownBtfKindInARealObject() {
        int firstTypeInfo = (int) btfSection.offset() + 24 + 4; // header, then type [1]'s name offset
        byte[] bytes = object.clone();
        bytes[firstTypeInfo + 3] = 25;
        assertEquals("section [" + btfSection.index() + "] '.BTF': BTF type [1] has unknown kind 25 (this reader knows kinds 1..19)",
                invalid(bytes).problem());
    }

    @Test
    void mapsWithoutBtf() {
        byte[] bytes = new MiniElf().section(".maps", MiniElf.PROGBITS, MiniElf.WRITE_ALLOC, new byte[32]).bytes();
        InvalidObjectException e = invalid(bytes);
        assertTrue(e.problem().contains("no BTF") && e.problem().contains("-g"), e.problem());
    }

    @Test
    void malformedMapDefinitions() {
        RawBtf btf = new RawBtf();
        int u32 = btf.intType("unsigned int", 4, false);
        int def = btf.type("", 4, 1, false, 8, btf.string("type"), u32, 0); // `type` is a plain int, not __uint()
        int var = btf.type("policy", 14, 0, false, def, 1);
        btf.type(".maps", 15, 1, false, 8, var, 0, 8);
        byte[] bytes = new MiniElf().section(".maps", MiniElf.PROGBITS, MiniElf.WRITE_ALLOC, new byte[8])
                .section(".BTF", MiniElf.PROGBITS, 0, btf.bytes()).bytes();
        assertEquals("map 'policy': attribute 'type' is INT, not __uint()'s pointer to an array", invalid(bytes).problem());

        RawBtf untyped = new RawBtf();
        int empty = untyped.type("", 4, 0, false, 0);
        int mapVar = untyped.type("nameless", 14, 0, false, empty, 1);
        untyped.type(".maps", 15, 1, false, 0, mapVar, 0, 0);
        byte[] noType = new MiniElf().section(".maps", MiniElf.PROGBITS, MiniElf.WRITE_ALLOC, new byte[0])
                .section(".BTF", MiniElf.PROGBITS, 0, untyped.bytes()).bytes();
        assertEquals("map 'nameless': map type isn't specified (missing __uint(type, ...))", invalid(noType).problem());
    }

    @Test
    void malformedBtfBlobs() {
        assertEquals("bad BTF magic 0x0000 (expected 0xeb9f)", btfProblem(new byte[24]));
        byte[] bigEndian = new RawBtf().bytes();
        bigEndian[0] = (byte) 0xeb;
        bigEndian[1] = (byte) 0x9f;
        assertEquals("BTF is big-endian; only little-endian is supported", btfProblem(bigEndian));
        byte[] v2 = new RawBtf().bytes();
        v2[2] = 2;
        assertEquals("unsupported BTF version 2", btfProblem(v2));

        RawBtf unknown = new RawBtf();
        unknown.intType("int", 4, true);
        unknown.type("future", 20, 0, false, 0);
        assertEquals("BTF type [2] has unknown kind 20 (this reader knows kinds 1..19)", btfProblem(unknown.bytes()));

        RawBtf missing = new RawBtf();
        missing.type("", 2, 0, false, 7);
        assertEquals("BTF type [1] PTR '' refers to type [7], which does not exist (there are 1 types)", btfProblem(missing.bytes()));

        RawBtf loop = new RawBtf();
        loop.type("", 10, 0, false, 2); // const -> volatile -> const
        loop.type("", 9, 0, false, 1);
        assertTrue(btfProblem(loop.bytes()).endsWith("refers to itself through a loop of references"));

        RawBtf badName = new RawBtf();
        badName.word(9999);
        badName.word(1 << 24);
        badName.word(4);
        badName.word(32);
        assertTrue(btfProblem(badName.bytes()).startsWith("BTF type [1] names string offset 9999, past the end"));

        RawBtf truncated = new RawBtf();
        truncated.type("s", 4, 3, false, 12); // a struct announcing 3 members and holding none
        assertTrue(btfProblem(truncated.bytes()).startsWith("BTF type [1] at offset 0: BTF type section is truncated"),
                btfProblem(truncated.bytes()));
    }

    private static String btfProblem(byte[] raw) {
        InvalidObjectException e = assertThrows(InvalidObjectException.class, () -> Btf.parse(raw, "x.o .BTF"));
        assertTrue(e.getMessage().startsWith("invalid BPF object x.o .BTF: "), e.getMessage());
        return e.problem();
    }

    @Test
    void selfReferenceThroughAStructIsFine() {
        RawBtf list = new RawBtf();
        int node = list.type("node", 4, 1, false, 8, list.string("next"), 2, 0);
        list.type("", 2, 0, false, node);
        Btf btf = Btf.parse(list.bytes(), "list");
        assertEquals("struct node *", btf.typeName(2));
        assertEquals(8, btf.sizeOf(node));
    }

    @Test
    void namesOfHostileSharedTypesStayBounded() {
        RawBtf raw = new RawBtf();
        int previous = raw.intType("int", 4, true);
        for (int level = 0; level < 40; level++) { // each prototype takes two pointers to the previous one: 2^40 paths
            int proto = raw.type("", 13, 2, false, previous, 0, previous, 0, previous);
            previous = raw.type("", 2, 0, false, proto);
        }
        Btf btf = Btf.parse(raw.bytes(), "hostile");
        String name = btf.typeName(previous);
        assertTrue(name.contains("...") && name.length() < 1_000_000, name.length() + " characters");
    }

    @Test
    void enum64AndSignedEnums() {
        RawBtf raw = new RawBtf();
        int e64 = raw.type("big", 19, 2, true, 8, raw.string("MINUS_ONE"), -1, -1, raw.string("HIGH"), 0, 0x40000000);
        int e32 = raw.type("small", 6, 1, true, 4, raw.string("NEG"), -5);
        Btf btf = Btf.parse(raw.bytes(), "enums");
        BtfType.Enum64 big = (BtfType.Enum64) btf.type(e64);
        assertTrue(big.signed());
        assertEquals(List.of(new BtfType.EnumValue("MINUS_ONE", -1L), new BtfType.EnumValue("HIGH", 0x40000000L << 32)), big.values());
        assertEquals(8, btf.sizeOf(e64));
        assertEquals("enum big", btf.typeName(e64));
        assertEquals(-5L, ((BtfType.Enum) btf.type(e32)).values().get(0).value());
    }

    @Test
    void randomBytes() {
        Random random = new Random(20260101);
        for (int i = 0; i < 2000; i++) {
            byte[] bytes = new byte[random.nextInt(4096)];
            random.nextBytes(bytes);
            if (i % 2 == 0 && bytes.length >= 64) {
                System.arraycopy(object, 0, bytes, 0, 64); // a valid header pointing into garbage
            }
            if (readsOrFailsCleanly(bytes, "random input " + i)) {
                fail("random input " + i + " was accepted");
            }
        }
    }

    @Test
    void garbledRealObjects() throws Exception {
        byte[] kinds = Files.readAllBytes(Tools.compile(work, "kinds.bpf.c", true));
        int accepted = garble(object, 42) + garble(kinds, 43);
        assertTrue(accepted > 0, "some mutations (in names, debug info) leave a readable object");
    }

    /** Mutates bytes and 32-bit words of each part of the object in turn; returns how many mutants still read. */
    private static int garble(byte[] original, long seed) {
        int iterations = Integer.getInteger("kiln.fuzz.iterations", 1500);
        int[] interesting = {0, 1, -1, 0x7fffffff, 0x80000000, 0xffff, 0x10000, 12, 24, 64};
        ElfFile elf = ElfFile.parse(original);
        ElfSection btf = elf.section(".BTF").orElseThrow();
        ElfSection symbols = elf.section(".symtab").orElseThrow();
        int table = (int) ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN).getLong(0x28);
        int btfStart = (int) btf.offset();
        int btfEnd = btfStart + (int) btf.size();
        int[][] regions = {
                {0, 64},                                                                  // ELF header
                {table, original.length},                                                 // section headers
                {(int) symbols.offset(), (int) (symbols.offset() + symbols.size())},      // symbols
                {btfStart, btfStart + 24},                                                // BTF header
                {btfStart + 24, btfEnd},                                                  // BTF types and strings
                {0, original.length},                                                     // anywhere
        };
        Random random = new Random(seed);
        int accepted = 0;
        for (int[] region : regions) {
            for (int i = 0; i < iterations; i++) {
                byte[] bytes = original.clone();
                ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
                int changes = 1 + random.nextInt(4);
                for (int c = 0; c < changes; c++) {
                    int at = region[0] + random.nextInt(region[1] - region[0]);
                    if (random.nextBoolean() && at + 4 <= region[1]) {
                        buffer.putInt(at & ~3, interesting[random.nextInt(interesting.length)]);
                    } else {
                        bytes[at] = (byte) random.nextInt(256);
                    }
                }
                if (readsOrFailsCleanly(bytes, "seed " + seed + " mutation " + i + " of bytes " + region[0] + ".." + region[1])) {
                    accepted++;
                }
            }
        }
        return accepted;
    }
}
