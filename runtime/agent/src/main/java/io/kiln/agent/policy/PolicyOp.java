package io.kiln.agent.policy;

/** One write to an endpoint's policy map. */
public sealed interface PolicyOp {

    PolicyKey key();

    record Upsert(PolicyKey key, PolicyAction action) implements PolicyOp {
    }

    record Delete(PolicyKey key) implements PolicyOp {
    }
}
