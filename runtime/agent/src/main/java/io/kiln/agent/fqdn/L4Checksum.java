package io.kiln.agent.fqdn;

/**
 * Completes the UDP or TCP checksum of a held frame before it is re-delivered. A frame the
 * dataplane copied may carry only the pseudo-header part of its checksum (CHECKSUM_PARTIAL: the
 * sender's stack left the rest to an offload that a veth never does), which the endpoint's stack
 * accepts from a veth but not from a raw socket; so the agent always writes the full checksum.
 */
final class L4Checksum {
    private static final int ETH = 14;

    private L4Checksum() {
    }

    /** Rewrites the checksum in place; false (frame untouched) if the headers do not fit the frame. */
    static boolean fill(byte[] f, int family, int proto, int l4Off) {
        if (proto != 17 && proto != 6) {
            return false;
        }
        long sum;
        int l4Len;
        if (family == 4) {
            if (f.length < ETH + 20) {
                return false;
            }
            int total = u16(f, ETH + 2);
            l4Len = ETH + total - l4Off;
            sum = sumBytes(f, ETH + 12, 8) + proto + l4Len;
        } else {
            if (f.length < ETH + 40) {
                return false;
            }
            l4Len = ETH + 40 + u16(f, ETH + 4) - l4Off;
            sum = sumBytes(f, ETH + 8, 32) + proto + l4Len;
        }
        int field = proto == 17 ? l4Off + 6 : l4Off + 16;
        if (l4Len < (proto == 17 ? 8 : 20) || l4Off + l4Len > f.length || field + 2 > f.length) {
            return false;
        }
        f[field] = 0;
        f[field + 1] = 0;
        sum += sumBytes(f, l4Off, l4Len);
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        int c = ~(int) sum & 0xffff;
        if (c == 0 && proto == 17) {
            c = 0xffff; // UDP: 0 means no checksum
        }
        f[field] = (byte) (c >> 8);
        f[field + 1] = (byte) c;
        return true;
    }

    private static long sumBytes(byte[] f, int off, int len) {
        long s = 0;
        int i = off;
        for (; i + 1 < off + len; i += 2) {
            s += u16(f, i);
        }
        if (i < off + len) {
            s += (f[i] & 0xff) << 8;
        }
        return s;
    }

    private static int u16(byte[] f, int off) {
        return ((f[off] & 0xff) << 8) | (f[off + 1] & 0xff);
    }
}
