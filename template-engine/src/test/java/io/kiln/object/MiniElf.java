package io.kiln.object;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Writes minimal ELF64 little-endian BPF relocatable files with chosen sections, for crafted bad inputs. */
final class MiniElf {
    static final int PROGBITS = 1;
    static final long WRITE_ALLOC = 0x3;

    private record Section(String name, int type, long flags, byte[] data) {
    }

    private final List<Section> sections = new ArrayList<>();

    MiniElf section(String name, int type, long flags, byte[] data) {
        sections.add(new Section(name, type, flags, data));
        return this;
    }

    byte[] bytes() {
        ByteArrayOutputStream names = new ByteArrayOutputStream();
        names.write(0);
        List<Integer> nameOffsets = new ArrayList<>();
        for (Section s : sections) {
            nameOffsets.add(names.size());
            names.writeBytes(s.name().getBytes(StandardCharsets.UTF_8));
            names.write(0);
        }
        int shstrtabName = names.size();
        names.writeBytes(".shstrtab\0".getBytes(StandardCharsets.UTF_8));

        ByteArrayOutputStream body = new ByteArrayOutputStream();
        List<Integer> offsets = new ArrayList<>();
        for (Section s : sections) {
            offsets.add(64 + body.size());
            body.writeBytes(s.data());
            while (body.size() % 8 != 0) {
                body.write(0);
            }
        }
        int shstrtabOffset = 64 + body.size();
        body.writeBytes(names.toByteArray());
        while (body.size() % 8 != 0) {
            body.write(0);
        }
        int count = sections.size() + 2;
        long shoff = 64 + body.size();
        ByteBuffer b = ByteBuffer.allocate((int) shoff + count * 64).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0}).put(new byte[8]);
        b.putShort((short) 1).putShort((short) 247).putInt(1).putLong(0).putLong(0).putLong(shoff).putInt(0);
        b.putShort((short) 64).putShort((short) 0).putShort((short) 0).putShort((short) 64);
        b.putShort((short) count).putShort((short) (count - 1));
        b.put(body.toByteArray());
        b.put(new byte[64]);
        for (int i = 0; i < sections.size(); i++) {
            Section s = sections.get(i);
            header(b, nameOffsets.get(i), s.type(), s.flags(), offsets.get(i), s.data().length);
        }
        header(b, shstrtabName, 3, 0, shstrtabOffset, names.size());
        return b.array();
    }

    private static void header(ByteBuffer b, int name, int type, long flags, long offset, long size) {
        b.putInt(name).putInt(type).putLong(flags).putLong(0).putLong(offset).putLong(size);
        b.putInt(0).putInt(0).putLong(1).putLong(0);
    }
}
