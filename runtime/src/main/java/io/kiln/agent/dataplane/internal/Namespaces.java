package io.kiln.agent.dataplane.internal;

import io.kiln.runtime.Netns;

import java.nio.file.Path;

/** Specs name network namespaces as {@code ip netns} does; the runtime knows them as paths under /run/netns. */
public final class Namespaces {
    private static final Path RUN_NETNS = Path.of("/run/netns");

    private Namespaces() {
    }

    /** The namespace a spec names, or the agent's own for null. */
    public static Netns of(String name) {
        return name == null ? Netns.host() : Netns.named(name);
    }

    /** The spec's name of a namespace: null for the host's, the name for /run/netns/NAME, else its path. */
    public static String nameOf(Netns ns) {
        if (ns.isHost()) {
            return null;
        }
        Path p = Path.of(ns.toString());
        return RUN_NETNS.equals(p.getParent()) ? p.getFileName().toString() : p.toString();
    }

    public static String describe(String name) {
        return name == null ? "host" : name;
    }
}
