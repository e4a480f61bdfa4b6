package io.kiln.templates;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Entries of the node map {@code dns_rules} ({@code include/kiln/dns_query.h}): the names an
 * endpoint may ask for. Key {@code struct dns_rule_key} (264 bytes): endpoint id u16, kind u8, 5 bytes
 * of padding, then at offset {@link #NAME_OFFSET} the name in lower-case DNS wire format (length-prefixed labels and the root label), zeros
 * after it; value {@code struct dns_rule_value}: flags u32. An endpoint is judged only while its
 * {@link #markerKey marker} is in the map.
 */
public final class DnsRules {
    /** {@code DNS_RULE_MARKER}: the endpoint has DNS rules (name empty). */
    public static final int MARKER = 0;
    /** {@code DNS_RULE_NAME}: a whole question name. */
    public static final int NAME = 1;
    /** {@code DNS_RULE_SUFFIX}: a question name without its first label (the pattern {@code *.suffix}). */
    public static final int SUFFIX = 2;
    /** {@code DNS_RULE_ANY_NAME}: the marker's flag for "every name" (the pattern {@code *}). */
    public static final int ANY_NAME = 1;
    /** {@code KILN_MARK_DNS_REFUSED}: the mark of an answer the dataplane built. */
    public static final int MARK_REFUSED = 0x4b445246;
    public static final int KEY_SIZE = 264;
    public static final int NAME_OFFSET = 8;
    public static final int VALUE_SIZE = 4;
    /** Bytes of a wire-format name at most (RFC 1035), the root label included. */
    public static final int NAME_WIRE_MAX = 255;

    private DnsRules() {
    }

    /** The slots of the per-CPU array {@code dns_stats} that count DNS rules on queries ({@code DNS_STAT_QUERY_*}). */
    public enum Stat {
        /** queries answered REFUSED */
        QUERY_REFUSED(6),
        /** queries dropped: TCP, or not one standard query with plain labels */
        QUERY_DROPPED(7);

        private final int slot;

        Stat(int slot) {
            this.slot = slot;
        }

        public byte[] key() {
            return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(slot).array();
        }
    }

    /**
     * {@code name} (dotted, any case, trailing dot or not) in lower-case wire format.
     *
     * @throws IllegalArgumentException for an empty label, a label over 63 bytes or a name over 255 bytes
     */
    public static byte[] wire(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.endsWith(".")) {
            n = n.substring(0, n.length() - 1);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!n.isEmpty()) {
            for (String label : n.split("\\.", -1)) {
                byte[] b = label.getBytes(StandardCharsets.US_ASCII);
                if (b.length < 1 || b.length > 63) {
                    throw new IllegalArgumentException("DNS name '" + name + "': a label of " + b.length
                            + " bytes (1..63 allowed)");
                }
                out.write(b.length);
                out.writeBytes(b);
            }
        }
        out.write(0);
        if (out.size() > NAME_WIRE_MAX) {
            throw new IllegalArgumentException("DNS name '" + name + "': " + out.size() + " bytes in wire format ("
                    + NAME_WIRE_MAX + " allowed)");
        }
        return out.toByteArray();
    }

    /** The key of {@code name} (dotted) of {@code kind} ({@link #NAME} or {@link #SUFFIX}) for an endpoint. */
    public static byte[] key(int endpointId, int kind, String name) {
        return key(endpointId, kind, wire(name));
    }

    /** The endpoint's marker: it has DNS rules. */
    public static byte[] markerKey(int endpointId) {
        return key(endpointId, MARKER, new byte[0]);
    }

    private static byte[] key(int endpointId, int kind, byte[] wire) {
        ByteBuffer b = ByteBuffer.allocate(KEY_SIZE).order(ByteOrder.nativeOrder());
        b.putShort((short) endpointId).put((byte) kind).position(NAME_OFFSET);
        b.put(wire);
        return b.array();
    }

    public static byte[] value(int flags) {
        return ByteBuffer.allocate(VALUE_SIZE).order(ByteOrder.nativeOrder()).putInt(flags).array();
    }

    /** The endpoint id of a key. */
    public static int endpointId(byte[] key) {
        return ByteBuffer.wrap(key).order(ByteOrder.nativeOrder()).getShort(0) & 0xffff;
    }
}
