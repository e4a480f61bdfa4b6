package io.kiln.agent.reconcile;

import io.kiln.agent.policy.NodeMapOp;
import io.kiln.agent.policy.NodeState;
import io.kiln.agent.policy.StateDiff;

import java.util.List;

/** The node maps' change turned into dataplane writes; runs outside the reconciler's lock. */
final class NodeMapWork {
    private final Dataplane dataplane;
    private final ReconcilerMetrics metrics;

    NodeMapWork(Dataplane dataplane, ReconcilerMetrics metrics) {
        this.dataplane = dataplane;
        this.metrics = metrics;
    }

    /** Writes what takes the node maps from {@code from} to {@code to}; nothing if they are equal. */
    void apply(NodeState from, NodeState to) {
        List<NodeMapOp> ops = StateDiff.node(from, to);
        if (!ops.isEmpty()) {
            dataplane.applyNodeOps(ops);
            metrics.nodeOps(ops.size());
        }
    }
}
