package io.kiln.object;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Writes raw BTF blobs by hand, for inputs clang never produces (unknown kinds, loops, ENUM64 on clang 14). */
final class RawBtf {
    private final ByteArrayOutputStream types = new ByteArrayOutputStream();
    private final ByteArrayOutputStream strings = new ByteArrayOutputStream();
    private int nextId = 1;

    RawBtf() {
        strings.write(0);
    }

    /** Adds a string and returns its offset. */
    int string(String s) {
        int offset = strings.size();
        strings.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        strings.write(0);
        return offset;
    }

    /** Adds one type: the common header plus kind-specific words; returns its id. */
    int type(String name, int kind, int vlen, boolean kindFlag, int sizeOrType, int... extra) {
        int nameOffset = name.isEmpty() ? 0 : string(name);
        word(nameOffset);
        word((kindFlag ? 1 << 31 : 0) | kind << 24 | vlen);
        word(sizeOrType);
        for (int w : extra) {
            word(w);
        }
        return nextId++;
    }

    int intType(String name, int size, boolean signed) {
        return type(name, 1, 0, false, size, (signed ? 1 << 24 : 0) | size * 8);
    }

    void word(int w) {
        types.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(w).array());
    }

    byte[] bytes() {
        byte[] t = types.toByteArray();
        byte[] s = strings.toByteArray();
        ByteBuffer b = ByteBuffer.allocate(24 + t.length + s.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) 0xeb9f).put((byte) 1).put((byte) 0).putInt(24);
        b.putInt(0).putInt(t.length).putInt(t.length).putInt(s.length);
        b.put(t).put(s);
        return b.array();
    }
}
