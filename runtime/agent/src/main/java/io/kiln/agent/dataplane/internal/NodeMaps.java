package io.kiln.agent.dataplane.internal;

import io.kiln.KilnException;
import io.kiln.agent.policy.BackendKey;
import io.kiln.agent.policy.BackendValue;
import io.kiln.agent.policy.LocalEndpoint;
import io.kiln.agent.policy.NodeMapOp;
import io.kiln.agent.policy.NodeState;
import io.kiln.agent.policy.ServiceKey;
import io.kiln.agent.policy.ServiceValue;
import io.kiln.agent.spec.AddressLiterals;
import io.kiln.agent.spec.Cidr;
import io.kiln.bpf.BpfMap;
import io.kiln.host.NetInterface;
import io.kiln.runtime.PinLayout;
import io.kiln.runtime.maps.EndpointMaps;

import java.net.InetAddress;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The node-wide maps (ipcache, services, backends, endpoints and their IPv6 twins), written from
 * {@link NodeMapOp}s through their pins and read back into a {@link NodeState}. The maps are
 * created by the first endpoint's load; until then writes fail, and the ops of the last such call
 * are kept so that {@link #catchUp} can write them as soon as an endpoint has created the maps
 * (the reconciler retries them too: every write is idempotent).
 */
public final class NodeMaps {
    /** Where a local endpoint runs, as its state file says: to name it in {@link LocalEndpoint}. */
    public record Attached(String interfaceName, String namespace, int ifindex) {
    }

    private final PinLayout pins;
    private final Namespaces namespaces;
    private final Object lock = new Object();
    private List<NodeMapOp> unapplied = List.of();

    public NodeMaps(PinLayout pins, Namespaces namespaces) {
        this.pins = pins;
        this.namespaces = namespaces;
    }

    /** Writes {@code ops} in order. A local endpoint whose interface is missing is skipped, the rest written, then reported. */
    public void apply(List<NodeMapOp> ops) {
        synchronized (lock) {
            String missing = missingMap(ops);
            if (missing != null) {
                unapplied = List.copyOf(ops);
                throw new KilnException("node maps: map " + missing + " is not pinned at " + pins.nodeMap(missing)
                        + " yet; the first endpoint's programs create it");
            }
            unapplied = List.of();
            List<String> failures = new ArrayList<>();
            try (Handles h = new Handles()) {
                for (NodeMapOp op : ops) {
                    try {
                        write(h, op);
                    } catch (UnresolvedInterface e) {
                        failures.add(e.getMessage());
                    }
                }
            }
            if (!failures.isEmpty()) {
                throw new KilnException("node maps: " + failures.get(0)
                        + (failures.size() > 1 ? " (and " + (failures.size() - 1) + " more)" : ""));
            }
        }
    }

    /** Writes what {@link #apply} found no maps for, once they exist; failures are left to the reconciler's retry. */
    public void catchUp() {
        synchronized (lock) {
            if (unapplied.isEmpty() || missingMap(unapplied) != null) {
                return;
            }
            try (Handles h = new Handles()) {
                for (NodeMapOp op : unapplied) {
                    try {
                        write(h, op);
                    } catch (RuntimeException e) {
                        // best effort: the node slot's retry writes it again
                    }
                }
            }
            unapplied = List.of();
        }
    }

    /** What the node maps hold; {@link NodeState#EMPTY} parts for maps not pinned yet. */
    public NodeState read(Map<Integer, Attached> endpoints) {
        SortedMap<Cidr, Integer> ipcache = new TreeMap<>();
        SortedMap<ServiceKey, ServiceValue> services = new TreeMap<>();
        SortedMap<BackendKey, BackendValue> backends = new TreeMap<>();
        SortedMap<InetAddress, LocalEndpoint> local = new TreeMap<>(AddressLiterals.ORDER);
        try (Handles h = new Handles()) {
            for (String name : List.of(EndpointMaps.IPCACHE, EndpointMaps.IPCACHE6)) {
                h.ifPinned(name).ifPresent(m -> each(m, (k, v) -> {
                    EndpointMaps.LpmKey key = EndpointMaps.decodeLpmKey(k);
                    ipcache.put(new Cidr(key.address(), key.prefixLength()), (int) EndpointMaps.decodeIdentityValue(v));
                }));
            }
            h.ifPinned(EndpointMaps.SERVICES).ifPresent(m -> each(m, (k, v) -> {
                EndpointMaps.ServiceKey key = EndpointMaps.decodeServiceKey(k);
                EndpointMaps.Service s = EndpointMaps.decodeServiceValue(v);
                services.put(new ServiceKey(key.vip(), key.port(), key.protocol()),
                        new ServiceValue(s.serviceId(), s.backendCount()));
            }));
            h.ifPinned(EndpointMaps.BACKENDS).ifPresent(m -> each(m, (k, v) -> {
                EndpointMaps.BackendKey key = EndpointMaps.decodeBackendKey(k);
                EndpointMaps.Backend b = EndpointMaps.decodeBackendValue(v);
                backends.put(new BackendKey(key.serviceId(), key.slot()), new BackendValue(b.address(), b.port()));
            }));
            for (String name : List.of(EndpointMaps.ENDPOINTS, EndpointMaps.ENDPOINTS6)) {
                h.ifPinned(name).ifPresent(m -> each(m, (k, v) -> {
                    EndpointMaps.EndpointInfo info = EndpointMaps.decodeEndpointInfo(v);
                    Attached a = endpoints.get(info.endpointId());
                    // an entry whose ifindex is not the one recorded is stale: a name no spec has makes it differ
                    LocalEndpoint e = a != null && a.ifindex() == info.ifindex()
                            ? new LocalEndpoint(info.endpointId(), a.interfaceName(), a.namespace(), macText(info.mac()))
                            : new LocalEndpoint(info.endpointId(), "?ifindex " + info.ifindex(), null, macText(info.mac()));
                    local.put(EndpointMaps.decodeEndpointKey(k), e);
                }));
            }
        }
        return new NodeState(ipcache, services, backends, local);
    }

    private void write(Handles h, NodeMapOp op) {
        if (op instanceof NodeMapOp.IpcacheUpsert o) {
            h.map(ipcacheOf(o.cidr())).update(lpm(o.cidr()), EndpointMaps.identityValue(Integer.toUnsignedLong(o.identity())));
        } else if (op instanceof NodeMapOp.IpcacheDelete o) {
            h.map(ipcacheOf(o.cidr())).delete(lpm(o.cidr()));
        } else if (op instanceof NodeMapOp.ServiceUpsert o) {
            h.map(EndpointMaps.SERVICES).update(serviceKey(o.key()),
                    EndpointMaps.serviceValue(o.value().backendCount(), o.value().serviceId()));
        } else if (op instanceof NodeMapOp.ServiceDelete o) {
            h.map(EndpointMaps.SERVICES).delete(serviceKey(o.key()));
        } else if (op instanceof NodeMapOp.BackendUpsert o) {
            h.map(EndpointMaps.BACKENDS).update(EndpointMaps.backendKey(o.key().serviceId(), o.key().slot()),
                    EndpointMaps.backendValue(o.value().address(), o.value().port()));
        } else if (op instanceof NodeMapOp.BackendDelete o) {
            h.map(EndpointMaps.BACKENDS).delete(EndpointMaps.backendKey(o.key().serviceId(), o.key().slot()));
        } else if (op instanceof NodeMapOp.LocalEndpointUpsert o) {
            LocalEndpoint e = o.value();
            NetInterface nif = namespaces.of(e.namespace()).findInterface(e.interfaceName())
                    .orElseThrow(() -> new UnresolvedInterface(endpointsOf(o.address()) + ": "
                            + AddressLiterals.format(o.address()) + " (endpoint " + e.endpointId() + "): no interface "
                            + e.interfaceName() + " in network namespace " + namespaces.describe(e.namespace())));
            h.map(endpointsOf(o.address())).update(EndpointMaps.endpointKey(o.address()),
                    EndpointMaps.endpointInfo(nif.ifindex(), e.mac() == null ? null : AddressLiterals.mac(e.mac()),
                            e.endpointId()));
        } else if (op instanceof NodeMapOp.LocalEndpointDelete o) {
            h.map(endpointsOf(o.address())).delete(EndpointMaps.endpointKey(o.address()));
        }
    }

    private String missingMap(List<NodeMapOp> ops) {
        for (NodeMapOp op : ops) {
            String name = mapOf(op);
            if (!Files.exists(pins.nodeMap(name))) {
                return name;
            }
        }
        return null;
    }

    private static String mapOf(NodeMapOp op) {
        if (op instanceof NodeMapOp.IpcacheUpsert o) {
            return ipcacheOf(o.cidr());
        } else if (op instanceof NodeMapOp.IpcacheDelete o) {
            return ipcacheOf(o.cidr());
        } else if (op instanceof NodeMapOp.LocalEndpointUpsert o) {
            return endpointsOf(o.address());
        } else if (op instanceof NodeMapOp.LocalEndpointDelete o) {
            return endpointsOf(o.address());
        }
        return op.map().mapName();
    }

    private static String ipcacheOf(Cidr c) {
        return c.isIpv4() ? EndpointMaps.IPCACHE : EndpointMaps.IPCACHE6;
    }

    private static String endpointsOf(InetAddress a) {
        return a.getAddress().length == 4 ? EndpointMaps.ENDPOINTS : EndpointMaps.ENDPOINTS6;
    }

    private static byte[] lpm(Cidr c) {
        return EndpointMaps.lpmKey(c.address(), c.prefixLength());
    }

    private static byte[] serviceKey(ServiceKey k) {
        return EndpointMaps.serviceKey(k.vip(), k.port(), k.protocol());
    }

    private static String macText(byte[] mac) {
        boolean zero = true;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < mac.length; i++) {
            zero &= mac[i] == 0;
            sb.append(i == 0 ? "" : ":").append(String.format("%02x", mac[i] & 0xff));
        }
        return zero ? null : sb.toString();
    }

    private static void each(BpfMap m, java.util.function.BiConsumer<byte[], byte[]> entry) {
        for (byte[] k : m.keys()) {
            Optional<byte[]> v = m.lookup(k);
            if (v.isPresent()) {
                try {
                    entry.accept(k, v.get());
                } catch (IllegalArgumentException stray) {
                    // an entry this agent cannot have written (a CIDR with host bits set): left out, never matched
                }
            }
        }
    }

    private static final class UnresolvedInterface extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnresolvedInterface(String message) {
            super(message, null, false, false);
        }
    }

    /** The pinned maps one call opened, closed together. */
    private final class Handles implements AutoCloseable {
        private final Map<String, BpfMap> open = new HashMap<>();

        BpfMap map(String name) {
            return open.computeIfAbsent(name, n -> BpfMap.openPinned(pins.nodeMap(n)));
        }

        Optional<BpfMap> ifPinned(String name) {
            return Files.exists(pins.nodeMap(name)) ? Optional.of(map(name)) : Optional.empty();
        }

        @Override
        public void close() {
            open.values().forEach(BpfMap::close);
        }
    }
}
