package io.kiln.runtime.internal;

import io.kiln.bpf.internal.LibC;

/** Interface lookups in the calling thread's network namespace. */
public final class Interfaces {
    private Interfaces() {
    }

    /** The interface's ifindex, or 0 if the namespace has no interface of that name. */
    public static int ifindex(String name) {
        return LibC.if_nametoindex(name);
    }
}
