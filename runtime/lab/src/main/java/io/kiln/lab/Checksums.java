package io.kiln.lab;

/** The Internet checksum (RFC 1071) over headers and pseudo-headers, for building and checking packets. */
final class Checksums {
    private Checksums() {
    }

    /** One's complement sum of {@code len} bytes as big-endian 16-bit words (an odd last byte is padded), not folded. */
    static long sum(byte[] data, int off, int len, long initial) {
        long sum = initial;
        int i = 0;
        for (; i + 1 < len; i += 2) {
            sum += ((data[off + i] & 0xff) << 8) | (data[off + i + 1] & 0xff);
        }
        if (i < len) {
            sum += (data[off + i] & 0xff) << 8;
        }
        return sum;
    }

    /** Folds a sum to 16 bits and complements it: the value a header stores. */
    static int finish(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }

    /** The sum of the IPv4 or IPv6 pseudo-header for a transport segment of {@code l4Length} bytes. */
    static long pseudoHeader(byte[] src, byte[] dst, int protocol, int l4Length) {
        long sum = sum(src, 0, src.length, 0);
        sum = sum(dst, 0, dst.length, sum);
        if (src.length == 4) {
            return sum + protocol + l4Length;
        }
        // IPv6: a 32-bit length and a 32-bit word holding the next header
        return sum + ((l4Length >>> 16) & 0xffff) + (l4Length & 0xffff) + protocol;
    }
}
