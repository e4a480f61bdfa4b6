package io.kiln.agent.policy;

import io.kiln.agent.spec.Cidr;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The fewest map writes that turn one computed state into another, in the order to apply them.
 * The order keeps every intermediate state safe for traffic:
 * <ul>
 * <li>policy: upserts before deletes, so a change from "allow all" to a list of allows never
 *     passes through "deny all" (it passes through the union, briefly);</li>
 * <li>node: ipcache and endpoints upserts first, then backends before the services that count
 *     them, then service deletes before the backends they counted, then endpoint and ipcache
 *     deletes: a service never counts a slot that is not filled.</li>
 * </ul>
 */
public final class StateDiff {
    private StateDiff() {
    }

    public static List<PolicyOp> policy(EndpointPolicy from, EndpointPolicy to) {
        List<PolicyOp> ops = new ArrayList<>();
        to.entries().forEach((k, a) -> {
            if (from.get(k) != a) {
                ops.add(new PolicyOp.Upsert(k, a));
            }
        });
        for (PolicyKey k : from.entries().keySet()) {
            if (!to.entries().containsKey(k)) {
                ops.add(new PolicyOp.Delete(k));
            }
        }
        return ops;
    }

    public static List<NodeMapOp> node(NodeState from, NodeState to) {
        List<NodeMapOp> ops = new ArrayList<>();
        upserts(from.ipcache(), to.ipcache(), NodeMapOp.IpcacheUpsert::new, ops);
        upserts(from.localEndpoints(), to.localEndpoints(), NodeMapOp.LocalEndpointUpsert::new, ops);
        upserts(from.backends(), to.backends(), NodeMapOp.BackendUpsert::new, ops);
        upserts(from.services(), to.services(), NodeMapOp.ServiceUpsert::new, ops);
        deletes(from.services(), to.services(), NodeMapOp.ServiceDelete::new, ops);
        deletes(from.backends(), to.backends(), NodeMapOp.BackendDelete::new, ops);
        deletes(from.localEndpoints(), to.localEndpoints(), NodeMapOp.LocalEndpointDelete::new, ops);
        deletes(from.ipcache(), to.ipcache(), NodeMapOp.IpcacheDelete::new, ops);
        return ops;
    }

    /** {@code policy} with {@code ops} applied: what the map holds after the writes (its DNS rules unchanged). */
    public static EndpointPolicy apply(EndpointPolicy policy, List<PolicyOp> ops) {
        SortedMap<PolicyKey, PolicyAction> m = new TreeMap<>(policy.entries());
        for (PolicyOp op : ops) {
            if (op instanceof PolicyOp.Upsert u) {
                m.put(u.key(), u.action());
            } else {
                m.remove(op.key());
            }
        }
        return new EndpointPolicy(m, policy.dns());
    }

    /** {@code state} with {@code ops} applied. */
    public static NodeState apply(NodeState state, List<NodeMapOp> ops) {
        SortedMap<Cidr, Integer> ipcache = new TreeMap<>(state.ipcache());
        SortedMap<ServiceKey, ServiceValue> services = new TreeMap<>(state.services());
        SortedMap<BackendKey, BackendValue> backends = new TreeMap<>(state.backends());
        SortedMap<InetAddress, LocalEndpoint> local = new TreeMap<>(state.localEndpoints().comparator());
        local.putAll(state.localEndpoints());
        for (NodeMapOp op : ops) {
            if (op instanceof NodeMapOp.IpcacheUpsert o) {
                ipcache.put(o.cidr(), o.identity());
            } else if (op instanceof NodeMapOp.IpcacheDelete o) {
                ipcache.remove(o.cidr());
            } else if (op instanceof NodeMapOp.ServiceUpsert o) {
                services.put(o.key(), o.value());
            } else if (op instanceof NodeMapOp.ServiceDelete o) {
                services.remove(o.key());
            } else if (op instanceof NodeMapOp.BackendUpsert o) {
                backends.put(o.key(), o.value());
            } else if (op instanceof NodeMapOp.BackendDelete o) {
                backends.remove(o.key());
            } else if (op instanceof NodeMapOp.LocalEndpointUpsert o) {
                local.put(o.address(), o.value());
            } else if (op instanceof NodeMapOp.LocalEndpointDelete o) {
                local.remove(o.address());
            }
        }
        return new NodeState(ipcache, services, backends, local);
    }

    private static <K, V> void upserts(Map<K, V> from, Map<K, V> to, BiFunction<K, V, NodeMapOp> op,
                                       List<NodeMapOp> out) {
        to.forEach((k, v) -> {
            if (!Objects.equals(from.get(k), v)) {
                out.add(op.apply(k, v));
            }
        });
    }

    private static <K, V> void deletes(Map<K, V> from, Map<K, V> to, Function<K, NodeMapOp> op, List<NodeMapOp> out) {
        for (K k : from.keySet()) {
            if (!to.containsKey(k)) {
                out.add(op.apply(k));
            }
        }
    }
}
