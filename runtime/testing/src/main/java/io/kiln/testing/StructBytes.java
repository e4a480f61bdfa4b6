package io.kiln.testing;

import io.kiln.lab.Addresses;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Writes and reads a C struct's bytes by offset, for map keys and values: integers in host order
 * (little-endian, as BPF objects for x86 and arm64 are built), {@code be16}/{@code be32} for
 * fields in network order.
 *
 * <pre>{@code
 * byte[] key = StructBytes.of(8).u32(0, 3001).be16(4, 80).u8(6, 6).u8(7, 0).bytes();
 * long packets = StructBytes.wrap(value).u64(0);
 * }</pre>
 */
public final class StructBytes {
    private final ByteBuffer b;

    private StructBytes(byte[] bytes) {
        this.b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A zeroed struct of {@code size} bytes. */
    public static StructBytes of(int size) {
        return new StructBytes(new byte[size]);
    }

    /** Reads (and writes) {@code bytes} in place. */
    public static StructBytes wrap(byte[] bytes) {
        return new StructBytes(bytes);
    }

    public StructBytes u8(int offset, int value) {
        b.put(offset, (byte) value);
        return this;
    }

    public StructBytes u16(int offset, int value) {
        b.putShort(offset, (short) value);
        return this;
    }

    public StructBytes u32(int offset, long value) {
        b.putInt(offset, (int) value);
        return this;
    }

    public StructBytes u64(int offset, long value) {
        b.putLong(offset, value);
        return this;
    }

    /** A 16-bit field in network byte order (ports). */
    public StructBytes be16(int offset, int value) {
        b.put(offset, (byte) (value >>> 8)).put(offset + 1, (byte) value);
        return this;
    }

    public StructBytes put(int offset, byte[] value) {
        b.put(offset, value);
        return this;
    }

    /** An IPv4 or IPv6 literal, in network byte order. */
    public StructBytes ip(int offset, String address) {
        return put(offset, Addresses.ip(address));
    }

    public StructBytes mac(int offset, String mac) {
        return put(offset, Addresses.mac(mac));
    }

    public int u8(int offset) {
        return b.get(offset) & 0xff;
    }

    public int u16(int offset) {
        return b.getShort(offset) & 0xffff;
    }

    public long u32(int offset) {
        return b.getInt(offset) & 0xffffffffL;
    }

    public long u64(int offset) {
        return b.getLong(offset);
    }

    public int be16(int offset) {
        return ((b.get(offset) & 0xff) << 8) | (b.get(offset + 1) & 0xff);
    }

    public String ipv4(int offset) {
        byte[] a = new byte[4];
        b.get(offset, a);
        return Addresses.ipText(a);
    }

    public byte[] bytes() {
        return b.array().clone();
    }
}
