package io.kiln.agent.reconcile;

import io.kiln.agent.plan.ChangeKind;
import io.kiln.agent.plan.EndpointPlan;
import io.kiln.agent.policy.EndpointPolicy;
import io.kiln.agent.policy.PolicyOp;
import io.kiln.agent.policy.StateDiff;

import java.util.List;
import java.util.Objects;

/** One endpoint's change turned into dataplane calls; runs outside the reconciler's lock. */
final class EndpointWork {
    private final Dataplane dataplane;
    private final ReconcilerMetrics metrics;

    EndpointWork(Dataplane dataplane, ReconcilerMetrics metrics) {
        this.dataplane = dataplane;
        this.metrics = metrics;
    }

    /** Applies {@code kind}; returns what runs after a regeneration, null for other kinds. */
    RegenerateResult apply(int id, ChangeKind kind, EndpointPlan wanted, EndpointPolicy policyBefore) {
        RegenerateResult result = null;
        switch (kind) {
            case NONE -> { }
            case STATE_ONLY -> {
                List<PolicyOp> ops = StateDiff.policy(policyBefore, wanted.policy());
                dataplane.applyPolicyOps(id, ops);
                metrics.policyOps(ops.size());
                if (!wanted.policy().dns().equals(policyBefore.dns())) {
                    dataplane.applyDnsRules(id, wanted.policy().dns());
                }
            }
            case REMOVE -> dataplane.detach(id);
            case CREATE -> result = Objects.requireNonNull(dataplane.attach(wanted), "Dataplane.attach returned null");
            case RECREATE -> result = Objects.requireNonNull(dataplane.reattach(wanted),
                    "Dataplane.reattach returned null");
            case PROMOTE -> result = Objects.requireNonNull(dataplane.promote(wanted), "Dataplane.promote returned null");
            default -> result = Objects.requireNonNull(dataplane.swap(wanted, kind), "Dataplane.swap returned null");
        }
        return result;
    }
}
