package io.kiln.agent.policy;

import java.util.Comparator;

/** Key of the node's backends map: a service id and a slot, 0..backendCount-1. */
public record BackendKey(int serviceId, int slot) implements Comparable<BackendKey> {
    private static final Comparator<BackendKey> ORDER = Comparator.comparingInt(BackendKey::serviceId)
            .thenComparingInt(BackendKey::slot);

    @Override
    public int compareTo(BackendKey o) {
        return ORDER.compare(this, o);
    }
}
