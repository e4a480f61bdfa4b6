package io.kiln.agent.policy;

import io.kiln.agent.identity.Identities;
import io.kiln.agent.spec.Cidr;
import io.kiln.agent.spec.Entity;
import io.kiln.agent.spec.FqdnSelector;
import io.kiln.agent.spec.LabelSelector;
import io.kiln.agent.spec.PolicyRule;
import io.kiln.agent.spec.PolicySpec;
import io.kiln.agent.spec.PortRule;
import io.kiln.agent.spec.Protocol;

import java.net.InetAddress;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Computes every endpoint's policy map from the policies (pure: same input, same output).
 *
 * <p>The contract with the dataplane ({@code policy.h}): a packet is judged by up to six entries,
 * {@code {peer, port, proto}}, {@code {peer, 0, proto}}, {@code {peer, 0, 0}} and the same with
 * peer 0; any DENY denies, else any ALLOW allows, else the packet is denied. So:
 * <ul>
 * <li>A direction no selecting policy has rules for gets {@code {0, 0, 0} -> ALLOW} (default
 *     allow); a direction some selecting policy has {@code ingress}/{@code egress} for gets only
 *     the entries its rules allow (default deny).</li>
 * <li>Each allow rule gives {peer} x {port} entries: peers are the identities of the endpoints
 *     its selectors match, the CIDR identities of the ipcache prefixes inside its CIDRs, and its
 *     entities (host 1, world 2, all 0); a rule with no peer has peer 0. Ports: none is
 *     {@code {0, 0}}; {@code TCP/UDP p} is {@code {p, 6/17}} (p 0 = any port of it);
 *     {@code ANY p} is both TCP and UDP, {@code ANY 0} is {@code {0, 0}}; ICMP is {@code {0, 1}}.</li>
 * <li>Deny rules give the same entries with DENY, replacing an ALLOW of the same key.</li>
 * <li>A selector that matches no endpoint gives no entry (not a wildcard).</li>
 * <li>A {@code toFQDNs} selector's peers are the identities of the addresses learned for the
 *     names it selects ({@link LearnedPeers}: one per peer class of addresses, so a new address of
 *     a known class changes no policy map; a rule of names only allows nothing until an answer is
 *     learned). A rule CIDR's peers include the identities of learned addresses inside it.</li>
 * </ul>
 * CIDR rules do not match the node's endpoints: their /32s are in the ipcache with the endpoint's
 * own identity, which wins the longest-prefix match (as in Cilium).
 */
public final class PolicyComputer {
    /**
     * Pods' labels carry their Kubernetes namespace under this key; a Kubernetes policy selects
     * only endpoints of its own namespace, and its peer selectors too unless they name a namespace.
     */
    public static final String NAMESPACE_LABEL = "io.kubernetes.pod.namespace";

    private PolicyComputer() {
    }

    /**
     * @param endpoints      the node's endpoints with their identities; peers are found among them
     * @param policies       every policy
     * @param cidrIdentities the ipcache's CIDR-identity prefixes (not endpoint or host ones)
     * @return endpoint id to its policy map, for every endpoint given
     */
    public static SortedMap<Integer, EndpointPolicy> compute(Collection<IdentifiedEndpoint> endpoints,
                                                            Collection<PolicySpec> policies,
                                                            Map<Cidr, Integer> cidrIdentities) {
        return compute(endpoints, policies, cidrIdentities, Map.of());
    }

    /**
     * As above, with DNS names: {@code learned} gives, per {@code toFQDNs} selector, the addresses
     * learned for the names it selects; each address whose host prefix has a CIDR identity in
     * {@code cidrIdentities} is a peer of the rule. A selector nothing was learned for adds no peer.
     */
    public static SortedMap<Integer, EndpointPolicy> compute(Collection<IdentifiedEndpoint> endpoints,
                                                            Collection<PolicySpec> policies,
                                                            Map<Cidr, Integer> cidrIdentities,
                                                            Map<FqdnSelector, ? extends Collection<InetAddress>> learned) {
        return compute(endpoints, policies, cidrIdentities, LearnedPeers.ofAddresses(learned, cidrIdentities));
    }

    /**
     * As above, with the learned addresses' identities given as the planner computes them (one per
     * peer class): a {@code toFQDNs} selector's peers are {@code learned.byFqdn()}, a rule CIDR's
     * also {@code learned.byCidr()}.
     */
    public static SortedMap<Integer, EndpointPolicy> compute(Collection<IdentifiedEndpoint> endpoints,
                                                            Collection<PolicySpec> policies,
                                                            Map<Cidr, Integer> cidrIdentities, LearnedPeers learned) {
        return computeFor(endpoints, endpoints, policies, cidrIdentities, learned);
    }

    /**
     * As {@link #compute}, for {@code targets} only (a subset of {@code endpoints}, which stay the
     * peers rules match): an endpoint's map depends only on the policies that select it, so after a
     * change of some policies the endpoints they select (before or after) are all there is to redo.
     */
    public static SortedMap<Integer, EndpointPolicy> computeFor(Collection<IdentifiedEndpoint> targets,
                                                               Collection<IdentifiedEndpoint> endpoints,
                                                               Collection<PolicySpec> policies,
                                                               Map<Cidr, Integer> cidrIdentities) {
        return computeFor(targets, endpoints, policies, cidrIdentities, Map.of());
    }

    /** {@link #computeFor} with the addresses learned for {@code toFQDNs} selectors, as {@link #compute} takes them. */
    public static SortedMap<Integer, EndpointPolicy> computeFor(Collection<IdentifiedEndpoint> targets,
                                                               Collection<IdentifiedEndpoint> endpoints,
                                                               Collection<PolicySpec> policies,
                                                               Map<Cidr, Integer> cidrIdentities,
                                                               Map<FqdnSelector, ? extends Collection<InetAddress>> learned) {
        return computeFor(targets, endpoints, policies, cidrIdentities,
                LearnedPeers.ofAddresses(learned, cidrIdentities));
    }

    /** {@link #computeFor} with learned peers as {@link #compute(Collection, Collection, Map, LearnedPeers)} takes them. */
    public static SortedMap<Integer, EndpointPolicy> computeFor(Collection<IdentifiedEndpoint> targets,
                                                               Collection<IdentifiedEndpoint> endpoints,
                                                               Collection<PolicySpec> policies,
                                                               Map<Cidr, Integer> cidrIdentities, LearnedPeers learned) {
        SortedMap<Integer, EndpointPolicy> out = new TreeMap<>();
        for (IdentifiedEndpoint e : targets) {
            out.put(e.id(), forEndpoint(e, endpoints, policies, cidrIdentities, learned));
        }
        return out;
    }

    /** The {@code toFQDNs} selectors of the egress rules (allow and deny) of the policies that select these labels. */
    public static java.util.SortedSet<FqdnSelector> fqdnSelectors(Collection<PolicySpec> policies,
                                                                 io.kiln.agent.spec.Labels labels) {
        java.util.SortedSet<FqdnSelector> out = new TreeSet<>();
        for (PolicySpec p : policies) {
            if (selects(p, labels)) {
                out.addAll(fqdnSelectors(p));
            }
        }
        return out;
    }

    /** Every {@code toFQDNs} selector of a policy's rules. */
    public static java.util.SortedSet<FqdnSelector> fqdnSelectors(PolicySpec p) {
        java.util.SortedSet<FqdnSelector> out = new TreeSet<>();
        java.util.stream.Stream.of(p.ingress(), p.egress(), p.ingressDeny(), p.egressDeny())
                .filter(java.util.Objects::nonNull).flatMap(List::stream).forEach(r -> out.addAll(r.fqdns()));
        return out;
    }

    /** True when {@code p} selects an endpoint with these labels (its map holds {@code p}'s entries). */
    public static boolean selects(PolicySpec p, io.kiln.agent.spec.Labels labels) {
        return selector(p, p.endpointSelector()).matches(labels);
    }

    private static EndpointPolicy forEndpoint(IdentifiedEndpoint e, Collection<IdentifiedEndpoint> all,
                                              Collection<PolicySpec> policies, Map<Cidr, Integer> cidrIdentities,
                                              LearnedPeers learned) {
        List<PolicySpec> selecting = policies.stream().filter(p -> selector(p, p.endpointSelector()).matches(e.labels()))
                .toList();
        SortedMap<PolicyKey, PolicyAction> entries = new TreeMap<>();
        for (TrafficDirection dir : TrafficDirection.values()) {
            boolean enforced = false;
            for (PolicySpec p : selecting) {
                List<PolicyRule> rules = dir == TrafficDirection.INGRESS ? p.ingress() : p.egress();
                if (rules != null) {
                    enforced = true;
                    for (PolicyRule r : rules) {
                        add(entries, p, r, dir, PolicyAction.ALLOW, all, cidrIdentities, learned);
                    }
                }
            }
            if (!enforced) {
                entries.put(PolicyKey.any(dir), PolicyAction.ALLOW);
            }
            for (PolicySpec p : selecting) {
                for (PolicyRule r : dir == TrafficDirection.INGRESS ? p.ingressDeny() : p.egressDeny()) {
                    add(entries, p, r, dir, PolicyAction.DENY, all, cidrIdentities, learned);
                }
            }
        }
        return new EndpointPolicy(entries, dnsQueryRules(selecting));
    }

    /**
     * The DNS rules on queries of an endpoint these policies select: the union of the {@code dns}
     * selectors of their egress rules' ports; {@link DnsQueryRules#NONE} when no port has {@code dns}.
     */
    public static DnsQueryRules dnsQueryRules(Collection<PolicySpec> selecting) {
        List<FqdnSelector> selectors = new java.util.ArrayList<>();
        boolean any = false;
        for (PolicySpec p : selecting) {
            for (PolicyRule r : p.egress() == null ? List.<PolicyRule>of() : p.egress()) {
                for (PortRule pr : r.ports()) {
                    if (pr.dns() != null) {
                        any = true;
                        selectors.addAll(pr.dns());
                    }
                }
            }
        }
        return any ? DnsQueryRules.of(selectors) : DnsQueryRules.NONE;
    }

    private static void add(SortedMap<PolicyKey, PolicyAction> entries, PolicySpec p, PolicyRule r,
                            TrafficDirection dir, PolicyAction action, Collection<IdentifiedEndpoint> all,
                            Map<Cidr, Integer> cidrIdentities, LearnedPeers learned) {
        for (int peer : peers(p, r, all, cidrIdentities, learned)) {
            for (int[] port : ports(r)) {
                PolicyKey k = new PolicyKey(peer, port[0], port[1], dir);
                if (action == PolicyAction.DENY || !entries.containsKey(k)) {
                    entries.put(k, action);
                }
            }
        }
    }

    private static SortedSet<Integer> peers(PolicySpec p, PolicyRule r, Collection<IdentifiedEndpoint> all,
                                            Map<Cidr, Integer> cidrIdentities, LearnedPeers learned) {
        SortedSet<Integer> out = new TreeSet<>();
        if (r.anyPeer()) {
            out.add(Identities.ANY);
            return out;
        }
        for (LabelSelector s : r.endpoints()) {
            LabelSelector sel = selector(p, s);
            for (IdentifiedEndpoint e : all) {
                if (sel.matches(e.labels())) {
                    out.add(e.identity());
                }
            }
        }
        for (Cidr c : r.cidrs()) {
            cidrIdentities.forEach((prefix, id) -> {
                if (c.contains(prefix)) {
                    out.add(id);
                }
            });
            out.addAll(learned.inside(c));
        }
        for (FqdnSelector q : r.fqdns()) {
            out.addAll(learned.of(q));
        }
        for (Entity en : r.entities()) {
            out.add(switch (en) {
                case HOST -> Identities.HOST;
                case WORLD -> Identities.WORLD;
                case ALL -> Identities.ANY;
            });
        }
        return out;
    }

    /** {port, protocol} pairs of a rule. */
    private static List<int[]> ports(PolicyRule r) {
        if (r.ports().isEmpty()) {
            return List.of(new int[] {0, 0});
        }
        List<int[]> out = new java.util.ArrayList<>();
        for (PortRule pr : r.ports()) {
            if (pr.protocol() == Protocol.ANY) {
                if (pr.port() == 0) {
                    out.add(new int[] {0, 0});
                } else {
                    out.add(new int[] {pr.port(), Protocol.TCP.number()});
                    out.add(new int[] {pr.port(), Protocol.UDP.number()});
                }
            } else {
                out.add(new int[] {pr.port(), pr.protocol().number()});
            }
        }
        return out;
    }

    /** A Kubernetes policy's selectors are confined to its namespace. */
    private static LabelSelector selector(PolicySpec p, LabelSelector s) {
        return p.namespace() == null ? s : s.restrictedTo(NAMESPACE_LABEL, p.namespace());
    }
}
