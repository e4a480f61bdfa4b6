package io.kiln.agent.reconcile;

import io.kiln.agent.policy.NodeState;

import java.util.concurrent.ScheduledFuture;

/** The node maps: what they hold, what failed, and their place in the queue. Guarded by the reconciler's lock. */
final class NodeSlot {
    NodeState actual = NodeState.EMPTY;
    boolean queued;
    boolean inFlight;
    boolean dirty;
    int failures;
    NodeState failedFor;
    ScheduledFuture<?> retry;
    String reason;
}
