package io.kiln.agent.plan;

import io.kiln.agent.identity.Identities;
import io.kiln.agent.policy.BackendKey;
import io.kiln.agent.policy.BackendValue;
import io.kiln.agent.policy.LocalEndpoint;
import io.kiln.agent.policy.NodeState;
import io.kiln.agent.policy.ServiceKey;
import io.kiln.agent.policy.ServiceValue;
import io.kiln.agent.spec.AddressLiterals;
import io.kiln.agent.spec.Cidr;
import io.kiln.agent.spec.EndpointSpec;
import io.kiln.agent.spec.ServiceBackend;
import io.kiln.agent.spec.ServiceSpec;

import java.net.InetAddress;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The node maps from endpoints, policies' CIDRs and services (pure). Where prefixes coincide the
 * most specific owner wins: an endpoint's own /32 over the host's, both over a CIDR rule's.
 * Backends take slots in address order, so the same backends always fill the same slots.
 */
public final class NodeStateComputer {
    private static final Comparator<ServiceBackend> BACKEND_ORDER = Comparator
            .comparing(ServiceBackend::address, AddressLiterals.ORDER).thenComparingInt(ServiceBackend::port);

    private NodeStateComputer() {
    }

    /**
     * @param state          the node maps
     * @param cidrIdentities the CIDR-rule prefixes that made it into the ipcache, with their identities
     */
    public record Result(NodeState state, SortedMap<Cidr, Integer> cidrIdentities) {
    }

    public static Result compute(Collection<EndpointSpec> endpoints, Map<Integer, Integer> identityOf,
                                 Map<Cidr, Integer> ruleCidrIdentities, List<Cidr> hostCidrs,
                                 Collection<ServiceSpec> services, Map<String, Integer> serviceIds) {
        return compute(endpoints, identityOf, ruleCidrIdentities, Map.of(), hostCidrs, services, serviceIds);
    }

    /**
     * @param learned the host prefixes of DNS-learned addresses with their class identities: over a
     *                rule's prefix of the same key (their class names that rule), under the host's
     *                and an endpoint's
     */
    public static Result compute(Collection<EndpointSpec> endpoints, Map<Integer, Integer> identityOf,
                                 Map<Cidr, Integer> ruleCidrIdentities, Map<Cidr, Integer> learned,
                                 List<Cidr> hostCidrs, Collection<ServiceSpec> services,
                                 Map<String, Integer> serviceIds) {
        SortedMap<Cidr, Integer> ipcache = new TreeMap<>();
        SortedMap<InetAddress, LocalEndpoint> local = new TreeMap<>(AddressLiterals.ORDER);
        SortedMap<Cidr, Integer> cidrs = new TreeMap<>();
        ruleCidrIdentities.forEach((c, id) -> {
            ipcache.put(c, id);
            cidrs.put(c, id);
        });
        ipcache.putAll(learned);
        for (Cidr h : hostCidrs) {
            ipcache.put(h, Identities.HOST);
            cidrs.remove(h);
        }
        for (EndpointSpec e : endpoints) {
            int identity = identityOf.get(e.id());
            for (InetAddress a : e.addresses().all()) {
                Cidr host = Cidr.host(a);
                ipcache.put(host, identity);
                cidrs.remove(host);
                local.put(a, new LocalEndpoint(e.id(), e.interfaceName(), e.namespace(), e.mac()));
            }
        }
        SortedMap<ServiceKey, ServiceValue> svc = new TreeMap<>();
        SortedMap<BackendKey, BackendValue> backends = new TreeMap<>();
        for (ServiceSpec s : services) {
            int sid = serviceIds.get(s.name());
            List<ServiceBackend> sorted = s.backends().stream().sorted(BACKEND_ORDER).toList();
            svc.put(new ServiceKey(s.vip(), s.port(), s.protocol().number()), new ServiceValue(sid, sorted.size()));
            for (int slot = 0; slot < sorted.size(); slot++) {
                backends.put(new BackendKey(sid, slot), new BackendValue(sorted.get(slot).address(), sorted.get(slot).port()));
            }
        }
        return new Result(new NodeState(ipcache, svc, backends, local), cidrs);
    }
}
