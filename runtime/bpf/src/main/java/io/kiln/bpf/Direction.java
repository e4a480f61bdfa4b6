package io.kiln.bpf;

/** Which way through an interface a tc or tcx program sees packets. */
public enum Direction {
    INGRESS(46, 1),
    EGRESS(47, 2);

    private final int tcxAttachType;
    private final int tcAttachPoint;

    Direction(int tcxAttachType, int tcAttachPoint) {
        this.tcxAttachType = tcxAttachType;
        this.tcAttachPoint = tcAttachPoint;
    }

    /** {@code BPF_TCX_INGRESS} (46) / {@code BPF_TCX_EGRESS} (47): absent from libbpf 1.1's headers, stable kernel ABI. */
    int tcxAttachType() {
        return tcxAttachType;
    }

    /** {@code BPF_TC_INGRESS} / {@code BPF_TC_EGRESS} of libbpf's {@code enum bpf_tc_attach_point}. */
    int tcAttachPoint() {
        return tcAttachPoint;
    }

    String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
