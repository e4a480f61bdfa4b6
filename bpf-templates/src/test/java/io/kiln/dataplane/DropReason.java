package io.kiln.dataplane;

/**
 * The verdict reasons of bpf-templates' {@code include/kiln/drop_reasons.h}, by number: the index of
 * a program's metrics slots. 0..7 went on, 8..63 were dropped. Numbers come from the one list,
 * {@link io.kiln.runtime.maps.DropReason}; this enum keeps the names tests use.
 */
public enum DropReason {
    FORWARDED(io.kiln.runtime.maps.DropReason.FORWARDED),
    REDIRECTED(io.kiln.runtime.maps.DropReason.REDIRECTED),
    ARP_REPLIED(io.kiln.runtime.maps.DropReason.ARP_REPLIED),
    POLICY_AUDIT(io.kiln.runtime.maps.DropReason.POLICY_AUDIT),
    PREFILTER_AUDIT(io.kiln.runtime.maps.DropReason.PREFILTER_AUDIT),
    POLICY_DENIED(io.kiln.runtime.maps.DropReason.POLICY_DENIED),
    POLICY_DENY_RULE(io.kiln.runtime.maps.DropReason.POLICY_DENY_RULE),
    MALFORMED(io.kiln.runtime.maps.DropReason.MALFORMED),
    UNSUPPORTED_L3(io.kiln.runtime.maps.DropReason.UNSUPPORTED_L3),
    UNSUPPORTED_L4(io.kiln.runtime.maps.DropReason.UNSUPPORTED_L4),
    FRAGMENT(io.kiln.runtime.maps.DropReason.FRAGMENT),
    SPOOFED_IP(io.kiln.runtime.maps.DropReason.SPOOFED_IP),
    SPOOFED_MAC(io.kiln.runtime.maps.DropReason.SPOOFED_MAC),
    NO_BACKEND(io.kiln.runtime.maps.DropReason.NO_BACKEND),
    TTL_EXCEEDED(io.kiln.runtime.maps.DropReason.TTL_EXCEEDED),
    CT_CREATE_FAILED(io.kiln.runtime.maps.DropReason.CT_CREATE_FAILED),
    NAT_FAILED(io.kiln.runtime.maps.DropReason.NAT_FAILED),
    CONFIG_MISSING(io.kiln.runtime.maps.DropReason.CONFIG_MISSING),
    PREFILTER_DENIED(io.kiln.runtime.maps.DropReason.PREFILTER_DENIED);

    /** Slots per direction in a metrics map. */
    public static final int MAX = io.kiln.runtime.maps.DropReason.MAX;
    public static final int FIRST_DROP = io.kiln.runtime.maps.DropReason.FIRST_DROP;

    private final io.kiln.runtime.maps.DropReason production;

    DropReason(io.kiln.runtime.maps.DropReason production) {
        if (!production.name().equals(name())) {
            throw new IllegalStateException("DropReason " + name() + " mirrors " + production);
        }
        this.production = production;
    }

    public int code() {
        return production.code();
    }

    public boolean isDrop() {
        return production.isDrop();
    }

    /** The same reason in the production list. */
    public io.kiln.runtime.maps.DropReason production() {
        return production;
    }

    public static DropReason of(int code) {
        return valueOf(io.kiln.runtime.maps.DropReason.of(code).name());
    }
}
