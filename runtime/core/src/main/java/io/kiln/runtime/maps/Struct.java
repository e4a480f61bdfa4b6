package io.kiln.runtime.maps;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** A C struct's bytes by offset: integers little-endian (BPF objects for x86 and arm64), {@code be16} in network order. */
final class Struct {
    private final ByteBuffer b;

    private Struct(byte[] bytes) {
        this.b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    static Struct of(int size) {
        return new Struct(new byte[size]);
    }

    /** Reads {@code bytes} (a copy: decoding never changes the caller's array). */
    static Struct read(byte[] bytes, int expectedSize, String what) {
        if (bytes == null || bytes.length != expectedSize) {
            throw new IllegalArgumentException(what + ": " + (bytes == null ? "null" : bytes.length + " bytes")
                    + ", expected " + expectedSize);
        }
        return new Struct(bytes.clone());
    }

    Struct u8(int offset, int value) {
        b.put(offset, (byte) value);
        return this;
    }

    Struct u16(int offset, int value) {
        b.putShort(offset, (short) value);
        return this;
    }

    Struct u32(int offset, long value) {
        b.putInt(offset, (int) value);
        return this;
    }

    Struct u64(int offset, long value) {
        b.putLong(offset, value);
        return this;
    }

    Struct be16(int offset, int value) {
        b.put(offset, (byte) (value >>> 8)).put(offset + 1, (byte) value);
        return this;
    }

    Struct put(int offset, byte[] value) {
        b.put(offset, value);
        return this;
    }

    int u8(int offset) {
        return b.get(offset) & 0xff;
    }

    int u16(int offset) {
        return b.getShort(offset) & 0xffff;
    }

    long u32(int offset) {
        return b.getInt(offset) & 0xffffffffL;
    }

    long u64(int offset) {
        return b.getLong(offset);
    }

    int be16(int offset) {
        return ((b.get(offset) & 0xff) << 8) | (b.get(offset + 1) & 0xff);
    }

    byte[] bytes(int offset, int length) {
        byte[] out = new byte[length];
        b.get(offset, out);
        return out;
    }

    byte[] bytes() {
        return b.array().clone();
    }
}
