package io.kiln.bench;

import io.kiln.object.ObjectInfo;
import io.kiln.object.SectionInfo;
import io.kiln.object.VariableInfo;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

/**
 * Writes endpoint constants into a copy of an object's {@code .rodata} section, so that a loader
 * that cannot set them ({@code bpftool prog loadall}) loads exactly the program Kiln specializes:
 * the verifier then walks the same branches for both, and the floor is the kernel's real work.
 */
final class RodataPatch {
    private static final int ELF64_SHOFF = 0x28;
    private static final int ELF64_SHENTSIZE = 0x3a;
    private static final int SH_OFFSET = 24;

    private RodataPatch() {
    }

    /** A copy of {@code elf} whose {@code .rodata} holds {@code constants} (name to encoded bytes). */
    static byte[] apply(byte[] elf, Map<String, byte[]> constants) {
        ObjectInfo info = ObjectInfo.read(elf, "object");
        SectionInfo rodata = info.section(".rodata").orElseThrow(() -> new IllegalArgumentException(
                "the object has no .rodata section to hold constants"));
        ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        if (elf[4] != 2 || elf[5] != 1) {
            throw new IllegalArgumentException("not a 64-bit little-endian ELF object");
        }
        long shoff = b.getLong(ELF64_SHOFF);
        int shentsize = Short.toUnsignedInt(b.getShort(ELF64_SHENTSIZE));
        long sectionOffset = b.getLong((int) (shoff + (long) rodata.index() * shentsize + SH_OFFSET));
        byte[] out = elf.clone();
        constants.forEach((name, value) -> {
            VariableInfo v = info.constant(name).orElseThrow(() -> new IllegalArgumentException(
                    "no constant " + name + " in .rodata"));
            if (v.size() != value.length || v.offset() + value.length > rodata.size()) {
                throw new IllegalArgumentException("constant " + name + ": " + value.length + " bytes for a "
                        + v.size() + "-byte variable");
            }
            System.arraycopy(value, 0, out, (int) sectionOffset + v.offset(), value.length);
        });
        return out;
    }
}
