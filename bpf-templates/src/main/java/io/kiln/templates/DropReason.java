package io.kiln.templates;

/**
 * The verdict reasons of bpf-templates' {@code include/kiln/drop_reasons.h}, by number: the index of
 * a program's metrics slots. 0..7 went on, 8..63 were dropped. The numbers are ABI. The header has
 * only {@code #define}s, which BTF does not carry, so this list is written by hand and a
 * bpf-templates test checks it against the header.
 */
public enum DropReason {
    FORWARDED(0),
    REDIRECTED(1),
    ARP_REPLIED(2),
    POLICY_AUDIT(3),
    PREFILTER_AUDIT(4),
    ND_REPLIED(5),
    POLICY_DENIED(8),
    POLICY_DENY_RULE(9),
    MALFORMED(10),
    UNSUPPORTED_L3(11),
    UNSUPPORTED_L4(12),
    FRAGMENT(13),
    SPOOFED_IP(14),
    SPOOFED_MAC(15),
    NO_BACKEND(16),
    TTL_EXCEEDED(17),
    CT_CREATE_FAILED(18),
    NAT_FAILED(19),
    CONFIG_MISSING(20),
    PREFILTER_DENIED(21),
    POLICY_MAP_MISSING(22);

    /** Slots per direction in a metrics map. */
    public static final int MAX = 64;
    public static final int FIRST_DROP = 8;

    private static final DropReason[] BY_CODE = new DropReason[MAX];

    static {
        for (DropReason r : values()) {
            BY_CODE[r.code] = r;
        }
    }

    private final int code;

    DropReason(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public boolean isDrop() {
        return code >= FIRST_DROP;
    }

    /** @throws IllegalArgumentException for a number no reason has */
    public static DropReason of(int code) {
        DropReason r = code >= 0 && code < MAX ? BY_CODE[code] : null;
        if (r == null) {
            throw new IllegalArgumentException("no drop reason " + code);
        }
        return r;
    }

    /** The reason of a metrics slot ({@code dir * MAX + code}), or null for a slot no reason uses. */
    public static DropReason ofSlot(int slot) {
        return slot >= 0 && slot < 2 * MAX ? BY_CODE[slot % MAX] : null;
    }
}
