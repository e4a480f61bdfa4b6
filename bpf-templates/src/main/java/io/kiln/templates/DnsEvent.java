package io.kiln.templates;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One record of the node ring buffer {@code dns_events}: {@code struct dns_event} of bpf-templates'
 * {@code include/kiln/dns.h}, decoded: a DNS answer an endpoint's {@code to_endpoint} held
 * (dnsLearning=true), as the whole L2 frame. Written by hand like {@link FlowEvent} (a ring buffer
 * has no BTF record type), locked by {@code KILN_ASSERT_SIZE} in the header.
 *
 * @param frame     the frame, from its Ethernet header, exactly as it was leaving the host-side veth
 * @param ifindex   the host-side veth it was leaving (in the endpoint's interface namespace)
 * @param l4Offset  where the UDP or TCP header starts in {@code frame}
 * @param timestamp {@code bpf_ktime_get_ns()} when it was held (CLOCK_MONOTONIC: {@link System#nanoTime()})
 */
public record DnsEvent(int endpointId, int ifindex, int family, int proto, int l4Offset, long timestamp, byte[] frame) {
    /** Bytes of the frame a record holds at most ({@code DNS_CAPTURE_MAX}). */
    public static final int CAPTURE_MAX = 1536;
    /** Bytes of one record. */
    public static final int SIZE = 24 + CAPTURE_MAX;
    /** {@code KILN_MARK_DNS_REDELIVERED}: the mark of a frame the agent re-delivers. */
    public static final int MARK_REDELIVERED = 0x4b444e53;
    /** Bytes of {@code struct dns_agent}: heartbeat_ns u64, stale_ns u64, fail_closed u32, pad u32. */
    public static final int AGENT_SIZE = 24;

    /** {@code DNS_STAT_*}: slots of the per-CPU array {@code dns_stats} (6 and 7: {@link DnsRules.Stat}). */
    public enum Stat {
        HELD, REDELIVERED, AGENT_DOWN_PASSED, AGENT_DOWN_DROPPED, LOST, TOO_BIG;

        public byte[] key() {
            return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(ordinal()).array();
        }
    }

    /**
     * Decodes one record as the ring buffer hands it over (native byte order).
     *
     * @throws IllegalArgumentException if the record is not {@link #SIZE} bytes or its fields are out of range
     */
    public static DnsEvent decode(ByteBuffer record) {
        if (record.remaining() != SIZE) {
            throw new IllegalArgumentException("dns event: " + record.remaining() + " bytes, expected " + SIZE
                    + " (struct dns_event of include/kiln/dns.h)");
        }
        ByteBuffer b = record.slice().order(ByteOrder.nativeOrder());
        int len = b.getInt(0);
        if (len < 14 || len > CAPTURE_MAX) {
            throw new IllegalArgumentException("dns event: frame of " + len + " bytes, expected 14.." + CAPTURE_MAX);
        }
        int family = b.get(10) & 0xff;
        if (family != 4 && family != 6) {
            throw new IllegalArgumentException("dns event: address family " + family + " is neither 4 nor 6");
        }
        int l4 = b.getShort(12) & 0xffff;
        if (l4 >= len) {
            throw new IllegalArgumentException("dns event: transport header at " + l4 + ", past the frame's " + len
                    + " bytes");
        }
        byte[] frame = new byte[len];
        b.get(24, frame);
        return new DnsEvent(b.getShort(8) & 0xffff, b.getInt(4), family, b.get(11) & 0xff, l4, b.getLong(16), frame);
    }

    /** The value of {@code dns_agent[0]}: a heartbeat, how old one may get, and the failure mode. */
    public static byte[] agentValue(long heartbeatNanos, long staleNanos, boolean failClosed) {
        return ByteBuffer.allocate(AGENT_SIZE).order(ByteOrder.nativeOrder()).putLong(heartbeatNanos)
                .putLong(staleNanos).putInt(failClosed ? 1 : 0).putInt(0).array();
    }

    /**
     * The DNS message the frame carries: the UDP payload (to the UDP length), or a TCP segment's
     * payload without its 2-byte length prefix when the segment holds exactly one whole message;
     * null when it does not (a TCP message in several segments: the frame is re-delivered unlearned).
     */
    public byte[] dnsMessage() {
        ByteBuffer b = ByteBuffer.wrap(frame).order(ByteOrder.BIG_ENDIAN);
        int ipEnd = ipEnd(b);
        if (proto == 17) {
            if (l4Offset + 8 > frame.length) {
                return null;
            }
            int udpLen = b.getShort(l4Offset + 4) & 0xffff;
            int end = Math.min(Math.min(l4Offset + udpLen, ipEnd), frame.length);
            return end <= l4Offset + 8 ? null : java.util.Arrays.copyOfRange(frame, l4Offset + 8, end);
        }
        if (proto == 6) {
            if (l4Offset + 20 > frame.length) {
                return null;
            }
            int start = l4Offset + ((b.get(l4Offset + 12) >> 4) & 0xf) * 4;
            int end = Math.min(ipEnd, frame.length);
            if (start + 2 > end) {
                return null;
            }
            int msgLen = b.getShort(start) & 0xffff;
            return start + 2 + msgLen == end ? java.util.Arrays.copyOfRange(frame, start + 2, end) : null;
        }
        return null;
    }

    /** The end of the IP packet in the frame (the IP total or payload length says; padding excluded). */
    private int ipEnd(ByteBuffer b) {
        if (family == 4 && frame.length >= 14 + 20) {
            return 14 + (b.getShort(14 + 2) & 0xffff);
        }
        if (family == 6 && frame.length >= 14 + 40) {
            return 14 + 40 + (b.getShort(14 + 4) & 0xffff);
        }
        return frame.length;
    }
}
