package io.kiln.templates;

import io.kiln.templates.EndpointBpf.DropReason;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One record of the node ring buffer {@code flow_events}: {@code struct flow_event} of
 * bpf-templates' {@code include/kiln/flows.h}, decoded. A ring buffer map carries no BTF type for its
 * records, so the generated bindings cannot describe it; the layout is written here by hand, locked
 * by {@code KILN_ASSERT_SIZE} in the header and checked by a test that reads events the template sends.
 *
 * <p>Ports are in host order here. Counters: "fwd" is the direction of the flow's opening packet,
 * "rev" its replies; bytes are {@code skb->len} (L2 header included). Times are
 * {@code bpf_ktime_get_ns()}: CLOCK_MONOTONIC, Java's {@link System#nanoTime()} on Linux.
 * {@code rttMicros}: the TCP handshake's round trip seen at the endpoint's interface, 0 when not
 * measured (not TCP, or a start event, sent before the handshake completes).
 */
public record FlowEvent(Type type, int family, int proto, int dir, int reason, int tcpFlags, int flowFlags,
                        int endpointId, int sport, int dport, InetAddress saddr, InetAddress daddr, long timestamp,
                        long firstSeen, long lastSeen, long packetsFwd, long bytesFwd, long packetsRev, long bytesRev,
                        long rttMicros) {
    /** Bytes of one record. */
    public static final int SIZE = 112;

    /** {@code FLOW_F_*}: the flow was admitted by policyMode=audit although policy denies it. */
    public static final int FLOW_F_AUDIT = 0x10;
    /** {@code FLOW_F_*}: the end event was sent. */
    public static final int FLOW_F_ENDED = 0x08;

    /** {@code FLOW_EVENT_*}; UPDATE: a live flow's counters so far (build parameter flowUpdateInterval). */
    public enum Type {
        START(1), END(2), DROP(3), UPDATE(4);

        private final int code;

        Type(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        static Type of(int code) {
            for (Type t : values()) {
                if (t.code == code) {
                    return t;
                }
            }
            throw new IllegalArgumentException("flow event type " + code + " is none of START(1), END(2), DROP(3), UPDATE(4)");
        }
    }

    /**
     * Decodes one record as the ring buffer hands it over (native byte order, position at its start).
     *
     * @throws IllegalArgumentException if the record is not {@link #SIZE} bytes or its type or family is unknown
     */
    public static FlowEvent decode(ByteBuffer record) {
        if (record.remaining() != SIZE) {
            throw new IllegalArgumentException("flow event: " + record.remaining() + " bytes, expected " + SIZE
                    + " (struct flow_event of include/kiln/flows.h)");
        }
        ByteBuffer b = record.slice().order(ByteOrder.nativeOrder());
        Type type = Type.of(b.get(0) & 0xff);
        int family = b.get(1) & 0xff;
        if (family != 0 && family != 4 && family != 6) {
            throw new IllegalArgumentException("flow event: address family " + family + " is none of 0, 4, 6");
        }
        return new FlowEvent(type, family, b.get(2) & 0xff, b.get(3) & 0xff, b.get(4) & 0xff, b.get(5) & 0xff,
                b.get(6) & 0xff, b.getShort(8) & 0xffff, port(b, 10), port(b, 12), address(b, 16, family),
                address(b, 32, family), b.getLong(48), b.getLong(56), b.getLong(64), b.getLong(72), b.getLong(80),
                b.getLong(88), b.getLong(96), Integer.toUnsignedLong(b.getInt(104)));
    }

    /** The reason as a {@link DropReason}: the drop reason of a drop, FORWARDED or POLICY_AUDIT for a flow. */
    public DropReason verdictReason() {
        return DropReason.of(reason);
    }

    public boolean isAudit() {
        return (flowFlags & FLOW_F_AUDIT) != 0 || reason == DropReason.POLICY_AUDIT.code();
    }

    private static int port(ByteBuffer b, int at) {
        return ((b.get(at) & 0xff) << 8) | (b.get(at + 1) & 0xff);
    }

    private static InetAddress address(ByteBuffer b, int at, int family) {
        if (family == 0) {
            return null;
        }
        byte[] raw = new byte[16];
        b.get(at, raw);
        try {
            return InetAddress.getByAddress(family == 4 ? Arrays.copyOf(raw, 4) : raw);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // 4 or 16 bytes: never
        }
    }
}
