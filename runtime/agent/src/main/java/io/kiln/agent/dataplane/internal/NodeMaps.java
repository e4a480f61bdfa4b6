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
import io.kiln.templates.EndpointBpf;
import io.kiln.templates.EndpointBpf.Backends6Map;
import io.kiln.templates.EndpointBpf.BackendsMap;
import io.kiln.templates.EndpointBpf.EndpointsMap;
import io.kiln.templates.EndpointBpf.Ipcache6Map;
import io.kiln.templates.EndpointBpf.IpcacheMap;
import io.kiln.templates.EndpointBpf.Revnat6Map;
import io.kiln.templates.EndpointBpf.Services6Map;
import io.kiln.templates.EndpointBpf.ServicesMap;
import io.kiln.templates.EndpointDefines;

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
 * The node-wide maps (ipcache, services, backends, endpoints, their IPv6 twins and revnat6, which an
 * IPv6 service's upsert and delete write beside services6), written from
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
            h.ifPinned(IpcacheMap.NAME).ifPresent(m -> each(m, (k, v) -> {
                IpcacheMap.Key key = IpcacheMap.Key.fromBytes(k);
                ipcache.put(new Cidr(EndpointDefines.ipv4(key.addr()), (int) key.prefixlen()),
                        (int) IpcacheMap.Value.fromBytes(v).identity());
            }));
            h.ifPinned(Ipcache6Map.NAME).ifPresent(m -> each(m, (k, v) -> {
                Ipcache6Map.Key key = Ipcache6Map.Key.fromBytes(k);
                ipcache.put(new Cidr(address(key.addr()), (int) key.prefixlen()),
                        (int) Ipcache6Map.Value.fromBytes(v).identity());
            }));
            h.ifPinned(ServicesMap.NAME).ifPresent(m -> each(m, (k, v) -> {
                ServicesMap.Key key = ServicesMap.Key.fromBytes(k);
                ServicesMap.Value s = ServicesMap.Value.fromBytes(v);
                services.put(new ServiceKey(EndpointDefines.ipv4(key.vip()), key.port(), key.proto()),
                        new ServiceValue(s.serviceId(), (int) s.backendCount()));
            }));
            h.ifPinned(Services6Map.NAME).ifPresent(m -> each(m, (k, v) -> {
                Services6Map.Key key = Services6Map.Key.fromBytes(k);
                ServicesMap.Value s = ServicesMap.Value.fromBytes(v); // the same struct lb_service
                services.put(new ServiceKey(address(key.vip()), key.port(), key.proto()),
                        new ServiceValue(s.serviceId(), (int) s.backendCount()));
            }));
            h.ifPinned(Backends6Map.NAME).ifPresent(m -> each(m, (k, v) -> {
                BackendsMap.Key key = BackendsMap.Key.fromBytes(k);
                Backends6Map.Value b = Backends6Map.Value.fromBytes(v);
                backends.put(new BackendKey(key.serviceId(), (int) key.slot()),
                        new BackendValue(address(b.addr()), b.port()));
            }));
            h.ifPinned(BackendsMap.NAME).ifPresent(m -> each(m, (k, v) -> {
                BackendsMap.Key key = BackendsMap.Key.fromBytes(k);
                BackendsMap.Value b = BackendsMap.Value.fromBytes(v);
                backends.put(new BackendKey(key.serviceId(), (int) key.slot()),
                        new BackendValue(EndpointDefines.ipv4(b.addr()), b.port()));
            }));
            // endpoints and endpoints6 share struct endpoint_info; the bindings of endpoints read both
            for (String name : List.of(EndpointsMap.NAME, EndpointBpf.Endpoints6Map.NAME)) {
                h.ifPinned(name).ifPresent(m -> each(m, (k, v) -> {
                    EndpointsMap.Value info = EndpointsMap.Value.fromBytes(v);
                    Attached a = endpoints.get(info.endpointId());
                    // an entry whose ifindex is not the one recorded is stale: a name no spec has makes it differ
                    LocalEndpoint e = a != null && a.ifindex() == (int) info.ifindex()
                            ? new LocalEndpoint(info.endpointId(), a.interfaceName(), a.namespace(), macText(info.mac()))
                            : new LocalEndpoint(info.endpointId(), "?ifindex " + info.ifindex(), null, macText(info.mac()));
                    local.put(address(k), e);
                }));
            }
        }
        return new NodeState(ipcache, services, backends, local);
    }

    private void write(Handles h, NodeMapOp op) {
        if (op instanceof NodeMapOp.IpcacheUpsert o) {
            h.map(ipcacheOf(o.cidr())).update(lpm(o.cidr()),
                    new IpcacheMap.Value(Integer.toUnsignedLong(o.identity())).toBytes());
        } else if (op instanceof NodeMapOp.IpcacheDelete o) {
            h.map(ipcacheOf(o.cidr())).delete(lpm(o.cidr()));
        } else if (op instanceof NodeMapOp.ServiceUpsert o) {
            byte[] value = ServicesMap.Value.builder().backendCount(o.value().backendCount())
                    .serviceId(o.value().serviceId()).build().toBytes();
            if (isIpv6(o.key().vip())) {
                // the VIP for replies first: a flow may take the service as soon as services6 has it
                h.map(Revnat6Map.NAME).update(new Revnat6Map.Key(o.value().serviceId()).toBytes(),
                        new Revnat6Map.Value(o.key().vip().getAddress()).toBytes());
                h.map(Services6Map.NAME).update(serviceKey(o.key()), value);
            } else {
                h.map(ServicesMap.NAME).update(serviceKey(o.key()), value);
            }
        } else if (op instanceof NodeMapOp.ServiceDelete o) {
            if (isIpv6(o.key().vip())) {
                BpfMap services6 = h.map(Services6Map.NAME);
                byte[] key = serviceKey(o.key());
                Optional<byte[]> held = services6.lookup(key);
                services6.delete(key);
                // replies of the service's flows have nothing to go back to now (NAT_FAILED), as with IPv4's gone backends
                held.ifPresent(v -> h.map(Revnat6Map.NAME).delete(
                        new Revnat6Map.Key(ServicesMap.Value.fromBytes(v).serviceId()).toBytes()));
            } else {
                h.map(ServicesMap.NAME).delete(serviceKey(o.key()));
            }
        } else if (op instanceof NodeMapOp.BackendUpsert o) {
            if (isIpv6(o.value().address())) {
                h.map(Backends6Map.NAME).update(backendKey(o.key()), Backends6Map.Value.builder()
                        .addr(o.value().address().getAddress()).port(o.value().port()).build().toBytes());
            } else {
                h.map(BackendsMap.NAME).update(backendKey(o.key()), BackendsMap.Value.builder()
                        .addr(EndpointDefines.ipv4(o.value().address())).port(o.value().port()).build().toBytes());
            }
        } else if (op instanceof NodeMapOp.BackendDelete o) {
            // the key has no family: a service's slots live in the map of its VIP's family, never both
            h.map(BackendsMap.NAME).delete(backendKey(o.key()));
            h.ifPinned(Backends6Map.NAME).ifPresent(m -> m.delete(backendKey(o.key())));
        } else if (op instanceof NodeMapOp.LocalEndpointUpsert o) {
            LocalEndpoint e = o.value();
            NetInterface nif = namespaces.of(e.namespace()).findInterface(e.interfaceName())
                    .orElseThrow(() -> new UnresolvedInterface(endpointsOf(o.address()) + ": "
                            + AddressLiterals.format(o.address()) + " (endpoint " + e.endpointId() + "): no interface "
                            + e.interfaceName() + " in network namespace " + namespaces.describe(e.namespace())));
            h.map(endpointsOf(o.address())).update(o.address().getAddress(), EndpointsMap.Value.builder()
                    .ifindex(Integer.toUnsignedLong(nif.ifindex()))
                    .mac(e.mac() == null ? new byte[6] : AddressLiterals.mac(e.mac())).endpointId(e.endpointId()).build()
                    .toBytes());
        } else if (op instanceof NodeMapOp.LocalEndpointDelete o) {
            h.map(endpointsOf(o.address())).delete(o.address().getAddress());
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
        } else if (op instanceof NodeMapOp.ServiceUpsert o && isIpv6(o.key().vip())) {
            return Services6Map.NAME;
        } else if (op instanceof NodeMapOp.ServiceDelete o && isIpv6(o.key().vip())) {
            return Services6Map.NAME;
        } else if (op instanceof NodeMapOp.BackendUpsert o && isIpv6(o.value().address())) {
            return Backends6Map.NAME;
        }
        return op.map().mapName();
    }

    private static String ipcacheOf(Cidr c) {
        return c.isIpv4() ? IpcacheMap.NAME : Ipcache6Map.NAME;
    }

    private static String endpointsOf(InetAddress a) {
        return a.getAddress().length == 4 ? EndpointsMap.NAME : EndpointBpf.Endpoints6Map.NAME;
    }

    private static byte[] lpm(Cidr c) {
        if (c.isIpv4()) {
            return IpcacheMap.Key.builder().prefixlen(c.prefixLength()).addr(EndpointDefines.ipv4(c.address())).build()
                    .toBytes();
        }
        return Ipcache6Map.Key.builder().prefixlen(c.prefixLength()).addr(c.address().getAddress()).build().toBytes();
    }

    private static boolean isIpv6(InetAddress a) {
        return a.getAddress().length == 16;
    }

    private static byte[] serviceKey(ServiceKey k) {
        if (isIpv6(k.vip())) {
            return Services6Map.Key.builder().vip(k.vip().getAddress()).port(k.port()).proto(k.protocol()).build()
                    .toBytes();
        }
        return ServicesMap.Key.builder().vip(EndpointDefines.ipv4(k.vip())).port(k.port()).proto(k.protocol()).build()
                .toBytes();
    }

    private static byte[] backendKey(BackendKey k) {
        return BackendsMap.Key.builder().serviceId(k.serviceId()).slot(Integer.toUnsignedLong(k.slot())).build()
                .toBytes();
    }

    /** An address of 4 or 16 bytes (endpoints and endpoints6 keys are the address itself). */
    private static InetAddress address(byte[] raw) {
        try {
            return InetAddress.getByAddress(raw); // never a lookup
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("an address has 4 or 16 bytes, not " + raw.length, e);
        }
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
