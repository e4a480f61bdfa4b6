package io.kiln.object.internal;

import java.nio.charset.StandardCharsets;

/**
 * Little-endian reads from a region of a byte array. Every read is bounds-checked against the
 * region and fails with a {@link FormatException} naming the region, so malformed input never
 * surfaces as an index exception.
 */
public final class ByteReader {
    private final byte[] data;
    private final int start;
    private final int length;
    private final String what;

    private ByteReader(byte[] data, int start, int length, String what) {
        this.data = data;
        this.start = start;
        this.length = length;
        this.what = what;
    }

    public static ByteReader of(byte[] data, String what) {
        return new ByteReader(data, 0, data.length, what);
    }

    public int length() {
        return length;
    }

    public String what() {
        return what;
    }

    /** A sub-region, failing unless {@code [offset, offset + size)} lies inside this one. */
    public ByteReader slice(long offset, long size, String sliceWhat) {
        if (offset < 0 || size < 0 || offset > length || size > length - offset) {
            throw new FormatException(sliceWhat + " (offset " + offset + ", size " + size + ") lies outside "
                    + what + " (" + length + " bytes)");
        }
        return new ByteReader(data, start + (int) offset, (int) size, sliceWhat);
    }

    private int at(long offset, int size) {
        if (offset < 0 || offset > length - size) {
            throw new FormatException(what + " is truncated: " + size + " byte(s) at offset " + offset
                    + " are past its end (" + length + " bytes)");
        }
        return start + (int) offset;
    }

    public int u8(long offset) {
        return data[at(offset, 1)] & 0xff;
    }

    public int u16(long offset) {
        int i = at(offset, 2);
        return (data[i] & 0xff) | (data[i + 1] & 0xff) << 8;
    }

    /** A 32-bit value; callers treat it as signed or unsigned as the format says. */
    public int i32(long offset) {
        int i = at(offset, 4);
        return (data[i] & 0xff) | (data[i + 1] & 0xff) << 8 | (data[i + 2] & 0xff) << 16 | (data[i + 3] & 0xff) << 24;
    }

    public long u32(long offset) {
        return Integer.toUnsignedLong(i32(offset));
    }

    public long i64(long offset) {
        return u32(offset) | (long) i32(offset + 4) << 32;
    }

    /** The NUL-terminated string starting at {@code offset}. */
    public String cString(long offset) {
        int from = at(offset, 0);
        int end = start + length;
        for (int i = from; i < end; i++) {
            if (data[i] == 0) {
                return new String(data, from, i - from, StandardCharsets.UTF_8);
            }
        }
        throw new FormatException("string at offset " + offset + " of " + what + " is not NUL-terminated");
    }

    public byte[] bytes() {
        byte[] copy = new byte[length];
        System.arraycopy(data, start, copy, 0, length);
        return copy;
    }
}
