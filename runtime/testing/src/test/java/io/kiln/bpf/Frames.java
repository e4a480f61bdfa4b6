package io.kiln.bpf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Hand-built test packets. */
final class Frames {
    private Frames() {
    }

    /** Ethernet / IPv4 / UDP from 198.18.0.1:4000 to 198.18.0.2:5000 with the given payload. */
    static byte[] udp(byte[] payload) {
        int ipLen = 20 + 8 + payload.length;
        ByteBuffer b = ByteBuffer.allocate(14 + ipLen).order(ByteOrder.BIG_ENDIAN);
        b.put(new byte[]{2, 0, 0, 0, 0, 2});           // destination MAC
        b.put(new byte[]{2, 0, 0, 0, 0, 1});           // source MAC
        b.putShort((short) 0x0800);                    // IPv4
        int ip = b.position();
        b.put((byte) 0x45).put((byte) 0);              // version 4, IHL 5; DSCP
        b.putShort((short) ipLen);
        b.putShort((short) 1).putShort((short) 0x4000); // id; don't fragment
        b.put((byte) 64).put((byte) 17);               // TTL; UDP
        b.putShort((short) 0);                         // checksum, below
        b.put(new byte[]{(byte) 198, 18, 0, 1});
        b.put(new byte[]{(byte) 198, 18, 0, 2});
        b.putShort(ip + 10, ipChecksum(b.array(), ip, 20));
        b.putShort((short) 4000).putShort((short) 5000);
        b.putShort((short) (8 + payload.length)).putShort((short) 0); // length; no checksum
        b.put(payload);
        return b.array();
    }

    private static short ipChecksum(byte[] data, int off, int len) {
        int sum = 0;
        for (int i = 0; i < len; i += 2) {
            sum += ((data[off + i] & 0xff) << 8) | (data[off + i + 1] & 0xff);
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (short) ~sum;
    }
}
