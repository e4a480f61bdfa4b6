package io.kiln.host;

import io.kiln.bpf.internal.LibC;

/** Facts about the process and the machine it runs on that Kiln asks libc for. */
public final class Host {
    private Host() {
    }

    /** True when this process runs with effective uid 0 (BPF, namespaces and tc need it). */
    public static boolean isRoot() {
        return LibC.geteuid() == 0;
    }
}
