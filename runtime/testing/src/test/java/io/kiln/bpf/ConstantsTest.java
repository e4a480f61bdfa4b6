package io.kiln.bpf;

import io.kiln.testing.BpfLeakCheck;
import io.kiln.testing.KernelRequirements;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** .rodata constants: set by name before load, checked against BTF, seen by the program. */
class ConstantsTest {
    private static final int TC_ACT_OK = 0;
    private static final int TC_ACT_SHOT = 2;

    private BpfLeakCheck leaks;

    @BeforeEach
    void kernel() {
        KernelRequirements.assumeKernel();
        KernelRequirements.assumeTools("bpftool");
        leaks = BpfLeakCheck.begin("kt_");
    }

    @AfterEach
    void noLeaks() {
        if (leaks != null) {
            leaks.assertNoLeaks();
        }
    }

    @Test
    void constantChangesVerdictWithoutRecompiling() {
        byte[] elf = TestObjects.bytes("kt_gate");
        byte[] frame = Frames.udp("hello".getBytes());
        assertEquals(TC_ACT_OK, runGate(elf, 0, frame));
        assertEquals(TC_ACT_SHOT, runGate(elf, 1, frame));
        assertEquals(TC_ACT_OK, runGate(elf, 0, frame), "a fresh open starts from the object's defaults again");
    }

    private static int runGate(byte[] elf, int drop, byte[] frame) {
        try (BpfObject object = BpfObject.open(elf, "kt_gate")) {
            object.setConstant("DROP", u32(drop));
            object.load();
            TestRunResult r = object.program("kt_gate").testRun(TestRunOptions.builder().data(frame).repeat(3).build());
            assertArrayEquals(frame, r.data(), "kt_gate does not change the packet");
            assertTrue(r.durationNanos() >= 0);
            return r.retval();
        }
    }

    @Test
    void constantsAreListedFromBtf() {
        try (BpfObject object = BpfObject.open(TestObjects.bytes("kt_gate"), "kt_gate")) {
            List<RodataConstant> constants = object.constants();
            assertEquals(List.of("DROP", "ENDPOINT_ID", "ENDPOINT_MAC", "OFFSET"),
                    constants.stream().map(RodataConstant::name).toList());
            RodataConstant drop = constants.get(0);
            assertEquals(new RodataConstant("DROP", 0, 4, "__u32", false), drop);
            assertEquals(new RodataConstant("ENDPOINT_ID", 4, 2, "__u16", false), constants.get(1));
            assertEquals(new RodataConstant("ENDPOINT_MAC", 6, 6, "__u8[6]", false), constants.get(2));
            assertEquals(new RodataConstant("OFFSET", 12, 4, "__s32", true), constants.get(3));
            assertArrayEquals(u32(-1), object.constantValue("OFFSET"), "the initializer is the default");
            object.setConstant("ENDPOINT_MAC", new byte[]{2, 0, 0, 0, 0, 12});
            assertArrayEquals(new byte[]{2, 0, 0, 0, 0, 12}, object.constantValue("ENDPOINT_MAC"));
            assertArrayEquals(u32(0), object.constantValue("DROP"), "neighbours are untouched");
            assertArrayEquals(u32(-1), object.constantValue("OFFSET"), "neighbours are untouched");
        }
    }

    @Test
    void unknownConstantIsRefusedBeforeLoad() {
        try (BpfObject object = BpfObject.open(TestObjects.bytes("kt_gate"), "kt_gate")) {
            BpfException e = assertThrows(BpfException.class, () -> object.setConstant("FOO", u32(1)));
            assertEquals("object kt_gate: constant FOO: no such constant in .rodata (has: DROP, ENDPOINT_ID, "
                    + "ENDPOINT_MAC, OFFSET)", e.getMessage());
            assertTrue(e.isUserError());
            assertFalse(object.isLoaded());
        }
    }

    @Test
    void wrongSizeIsRefusedBeforeLoad() {
        try (BpfObject object = BpfObject.open(TestObjects.bytes("kt_gate"), "kt_gate")) {
            BpfException e = assertThrows(BpfException.class, () -> object.setConstant("ENDPOINT_ID", u32(12)));
            assertEquals("object kt_gate: constant ENDPOINT_ID: expected 2 bytes (__u16), got 4", e.getMessage());
            assertTrue(e.isUserError());
            assertArrayEquals(new byte[2], object.constantValue("ENDPOINT_ID"), "nothing was written");
        }
    }

    @Test
    void constantCannotChangeAfterLoad() {
        try (BpfObject object = BpfObject.open(TestObjects.bytes("kt_gate"), "kt_gate")) {
            object.load();
            BpfException e = assertThrows(BpfException.class, () -> object.setConstant("DROP", u32(1)));
            assertEquals("object kt_gate: constant DROP: cannot be set after load (open the object again)",
                    e.getMessage());
        }
    }

    @Test
    void objectWithoutRodataSaysSo() {
        try (BpfObject object = BpfObject.open(TestObjects.bytes("kt_attach"), "kt_attach")) {
            BpfException e = assertThrows(BpfException.class, () -> object.setConstant("DROP", u32(1)));
            assertEquals("object kt_attach: constant DROP: no such constant in .rodata (the object has no volatile "
                    + "const variables)", e.getMessage());
        }
    }

    @Test
    void constantOutsideRodataIsRefusedNotWritten() {
        // a crafted object: the ELF symbol libbpf takes OFFSET's place from points 1 MiB past .rodata
        byte[] elf = withSymbolValue(TestObjects.bytes("kt_gate"), "OFFSET", 1 << 20);
        try (BpfObject object = BpfObject.open(elf, "kt_gate")) {
            assertEquals(1 << 20, object.constants().get(3).offset(), "the BTF now says so");
            BpfException e = assertThrows(BpfException.class, () -> object.setConstant("OFFSET", u32(7)));
            assertEquals("object kt_gate: constant OFFSET: the object's BTF puts it at bytes 1048576..1048580, "
                    + "outside .rodata (16 bytes); the object is malformed, nothing was written", e.getMessage());
            assertTrue(e.isUserError());
            assertThrows(BpfException.class, () -> object.constantValue("OFFSET"), "reads are bounded too");
            object.setConstant("DROP", u32(1)); // the others still work
        }
    }

    /** {@code elf} with the st_value of symbol {@code name} replaced (ELF64, little-endian). */
    private static byte[] withSymbolValue(byte[] elf, String name, long value) {
        ByteBuffer b = ByteBuffer.wrap(elf.clone()).order(ByteOrder.LITTLE_ENDIAN);
        long shoff = b.getLong(0x28);
        int shentsize = Short.toUnsignedInt(b.getShort(0x3a));
        int shnum = Short.toUnsignedInt(b.getShort(0x3c));
        for (int i = 0; i < shnum; i++) {
            int sh = (int) (shoff + (long) i * shentsize);
            if (b.getInt(sh + 4) != 2) { // SHT_SYMTAB
                continue;
            }
            long off = b.getLong(sh + 0x18);
            long size = b.getLong(sh + 0x20);
            int strtab = (int) (shoff + (long) b.getInt(sh + 0x28) * shentsize);
            long strOff = b.getLong(strtab + 0x18);
            for (long at = off; at < off + size; at += 24) {
                int nameAt = (int) (strOff + b.getInt((int) at));
                int end = nameAt;
                while (elf[end] != 0) {
                    end++;
                }
                if (new String(elf, nameAt, end - nameAt, java.nio.charset.StandardCharsets.US_ASCII).equals(name)) {
                    b.putLong((int) at + 8, value);
                    return b.array();
                }
            }
        }
        throw new AssertionError("no symbol " + name);
    }

    static byte[] u32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(v).array();
    }
}
