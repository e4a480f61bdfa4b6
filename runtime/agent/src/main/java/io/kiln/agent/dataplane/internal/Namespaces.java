package io.kiln.agent.dataplane.internal;

import io.kiln.host.Netns;

import java.nio.file.Path;

/**
 * Specs name network namespaces as {@code ip netns} does, or not at all: then the interface is in
 * the node's namespace (the agent's own, unless tests or the demo give it another). The runtime
 * knows namespaces as paths under /run/netns.
 */
public final class Namespaces {
    private static final Path RUN_NETNS = Path.of("/run/netns");

    private final Netns node;

    public Namespaces(Netns node) {
        this.node = node;
    }

    /** The namespace a spec names, or the node's for null. */
    public Netns of(String name) {
        return name == null ? node : Netns.named(name);
    }

    /** The spec's name of a namespace: null for the node's, the name for /run/netns/NAME, else its path. */
    public String nameOf(Netns ns) {
        if (ns.equals(node)) {
            return null;
        }
        if (ns.isHost()) {
            return "host";
        }
        Path p = Path.of(ns.toString());
        return RUN_NETNS.equals(p.getParent()) ? p.getFileName().toString() : p.toString();
    }

    public String describe(String name) {
        return name != null ? name : node.isHost() ? "host" : node.toString();
    }
}
