package io.kiln.bpf;

import io.kiln.bpf.internal.LibBpf;
import io.kiln.bpf.internal.Structs;

/**
 * A link as the kernel reports it ({@code struct bpf_link_info}).
 *
 * @param id         the link's id ({@code bpftool link show})
 * @param programId  the id of the program it runs now
 * @param type       {@code enum bpf_link_type}: 6 XDP, 11 tcx, 13 netkit
 * @param ifindex    the interface for XDP, tcx and netkit links; 0 otherwise
 * @param attachType {@code enum bpf_attach_type} for tcx/netkit links (46 tcx ingress, 47 tcx egress); 37 for XDP; -1 when not reported
 */
public record LinkInfo(int id, int programId, int type, int ifindex, int attachType) {
    public static final int TYPE_XDP = 6;
    public static final int TYPE_TCX = 11;
    public static final int TYPE_NETKIT = 13;

    static LinkInfo of(Structs.LinkInfo i) {
        return switch (i.type) {
            case TYPE_XDP -> new LinkInfo(i.id, i.prog_id, i.type, i.union_[0], BpfLink.BPF_XDP);
            case TYPE_TCX, TYPE_NETKIT -> new LinkInfo(i.id, i.prog_id, i.type, i.union_[0], i.union_[1]);
            default -> new LinkInfo(i.id, i.prog_id, i.type, 0, -1);
        };
    }

    /** "xdp", "tcx" (libbpf 1.1 predates tcx and netkit, so those two are named here). */
    public String typeName() {
        if (type == TYPE_TCX) {
            return "tcx";
        }
        if (type == TYPE_NETKIT) {
            return "netkit";
        }
        String s = LibBpf.libbpf_bpf_link_type_str(type);
        return s == null ? "type " + type : s;
    }

    /** The tcx direction, if this is a tcx link. */
    public java.util.Optional<Direction> direction() {
        if (type != TYPE_TCX) {
            return java.util.Optional.empty();
        }
        for (Direction d : Direction.values()) {
            if (d.tcxAttachType() == attachType) {
                return java.util.Optional.of(d);
            }
        }
        return java.util.Optional.empty();
    }
}
