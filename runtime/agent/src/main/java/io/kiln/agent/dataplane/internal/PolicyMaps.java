package io.kiln.agent.dataplane.internal;

import io.kiln.agent.policy.EndpointPolicy;
import io.kiln.agent.policy.PolicyAction;
import io.kiln.agent.policy.PolicyKey;
import io.kiln.agent.policy.PolicyOp;
import io.kiln.agent.policy.StateDiff;
import io.kiln.agent.policy.TrafficDirection;
import io.kiln.bpf.BpfMap;
import io.kiln.templates.EndpointBpf.PolicyMap;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** An endpoint's policy map, written from and read back into {@link EndpointPolicy} records. */
public final class PolicyMaps {
    private PolicyMaps() {
    }

    public static byte[] key(PolicyKey k) {
        return PolicyMap.Key.builder().identity(Integer.toUnsignedLong(k.identity())).dport(k.port()).proto(k.protocol())
                .dir(k.direction().value()).build().toBytes();
    }

    /** Writes the ops in order; an upsert of an equal value and a delete of a missing key succeed. */
    public static void apply(BpfMap map, List<PolicyOp> ops) {
        for (PolicyOp op : ops) {
            if (op instanceof PolicyOp.Upsert u) {
                map.update(key(u.key()), new PolicyMap.Value(u.action().value()).toBytes());
            } else {
                map.delete(key(op.key()));
            }
        }
    }

    /** Makes the map hold exactly {@code wanted}: upserts first, then deletes (never "deny all" on the way). */
    public static void sync(BpfMap map, EndpointPolicy wanted) {
        apply(map, StateDiff.policy(read(map), wanted));
    }

    /**
     * What the map holds. An entry this agent would never write (an unknown action or direction, a
     * port without a protocol) is left out: the diff then writes over it if its key is wanted.
     */
    public static EndpointPolicy read(BpfMap map) {
        Map<PolicyKey, PolicyAction> entries = new TreeMap<>();
        for (byte[] raw : map.keys()) {
            PolicyMap.Key k = PolicyMap.Key.fromBytes(raw);
            Optional<byte[]> value = map.lookup(raw);
            if (value.isEmpty()) {
                continue; // deleted during the walk
            }
            int action = PolicyMap.Value.fromBytes(value.get()).action();
            PolicyAction a = action == PolicyAction.ALLOW.value() ? PolicyAction.ALLOW
                    : action == PolicyAction.DENY.value() ? PolicyAction.DENY : null;
            TrafficDirection dir = k.dir() == 0 ? TrafficDirection.INGRESS
                    : k.dir() == 1 ? TrafficDirection.EGRESS : null;
            if (a == null || dir == null || k.identity() > Integer.MAX_VALUE || (k.proto() == 0 && k.dport() != 0)) {
                continue;
            }
            entries.put(new PolicyKey((int) k.identity(), k.dport(), k.proto(), dir), a);
        }
        return new EndpointPolicy(new TreeMap<>(entries));
    }
}
