package io.kiln.runtime;

/** How tc programs attach. XDP programs always attach with XDP links. */
public enum AttachMode {
    /** tcx links where the kernel has them (Linux 6.6+, per {@link io.kiln.bpf.Features#tcxLinks()}), else legacy tc. */
    AUTO,
    /** tcx links; attaching fails with {@link io.kiln.bpf.MissingFeatureException} on an older kernel. */
    TCX,
    /** clsact qdisc plus a cls_bpf filter in direct-action mode, on any kernel. */
    LEGACY_TC
}
