package io.kiln.runtime;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** One monitor per endpoint id, shared by the hook lifecycle and recovery so that they never interleave on one endpoint. */
final class EndpointLocks {
    private final Map<Integer, Object> locks = new ConcurrentHashMap<>();

    Object of(int endpointId) {
        return locks.computeIfAbsent(endpointId, id -> new Object());
    }
}
