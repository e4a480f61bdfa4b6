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
        Diff ipcache = diff(from.ipcache(), to.ipcache(), NodeMapOp.IpcacheUpsert::new, NodeMapOp.IpcacheDelete::new);
        Diff local = diff(from.localEndpoints(), to.localEndpoints(), NodeMapOp.LocalEndpointUpsert::new,
                NodeMapOp.LocalEndpointDelete::new);
        Diff backends = diff(from.backends(), to.backends(), NodeMapOp.BackendUpsert::new, NodeMapOp.BackendDelete::new);
        Diff services = diff(from.services(), to.services(), NodeMapOp.ServiceUpsert::new, NodeMapOp.ServiceDelete::new);
        List<NodeMapOp> ops = new ArrayList<>(ipcache.upserts());
        ops.addAll(local.upserts());
        ops.addAll(backends.upserts());
        ops.addAll(services.upserts());
        ops.addAll(services.deletes());
        ops.addAll(backends.deletes());
        ops.addAll(local.deletes());
        ops.addAll(ipcache.deletes());
        return ops;
    }

    private record Diff(List<NodeMapOp> upserts, List<NodeMapOp> deletes) {
    }

    /**
     * Upserts (in {@code to}'s order) and deletes (in {@code from}'s) of one map, by walking both in
     * key order at once: one comparison a step, where a lookup per key cost a tree descent each (a
     * DNS-learned address diffs an ipcache of thousands of entries for its one new entry).
     */
    private static <K, V> Diff diff(SortedMap<K, V> from, SortedMap<K, V> to, BiFunction<K, V, NodeMapOp> upsert,
                                    Function<K, NodeMapOp> delete) {
        List<NodeMapOp> up = new ArrayList<>();
        List<NodeMapOp> down = new ArrayList<>();
        if (!Objects.equals(from.comparator(), to.comparator())) {
            upserts(from, to, upsert, up);
            deletes(from, to, delete, down);
            return new Diff(up, down);
        }
        @SuppressWarnings("unchecked")
        java.util.Comparator<? super K> order = to.comparator() != null ? to.comparator()
                : (a, b) -> ((Comparable<? super K>) a).compareTo(b);
        java.util.Iterator<Map.Entry<K, V>> a = from.entrySet().iterator();
        java.util.Iterator<Map.Entry<K, V>> b = to.entrySet().iterator();
        Map.Entry<K, V> x = a.hasNext() ? a.next() : null;
        Map.Entry<K, V> y = b.hasNext() ? b.next() : null;
        while (x != null || y != null) {
            int c = x == null ? 1 : y == null ? -1 : order.compare(x.getKey(), y.getKey());
            if (c < 0) {
                down.add(delete.apply(x.getKey()));
                x = a.hasNext() ? a.next() : null;
            } else if (c > 0) {
                up.add(upsert.apply(y.getKey(), y.getValue()));
                y = b.hasNext() ? b.next() : null;
            } else {
                if (!Objects.equals(x.getValue(), y.getValue())) {
                    up.add(upsert.apply(y.getKey(), y.getValue()));
                }
                x = a.hasNext() ? a.next() : null;
                y = b.hasNext() ? b.next() : null;
            }
        }
        return new Diff(up, down);
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
