package io.kiln.agent.spec;

import java.util.List;

/**
 * One ingress or egress rule. Its peers are the union of the endpoints matching any selector,
 * the addresses in any CIDR, the named entities and (egress) the addresses learned for its DNS
 * names; a rule naming no peer at all applies to
 * every peer. Its ports restrict it further; no ports means every port and protocol.
 * An empty selector list with no other peer is "every peer", like Kubernetes' {@code from: []}.
 */
public record PolicyRule(List<LabelSelector> endpoints, List<Cidr> cidrs, List<Entity> entities, List<PortRule> ports,
                         List<FqdnSelector> fqdns) {
    public static final PolicyRule ALLOW_ALL = new PolicyRule(List.of(), List.of(), List.of(), List.of());

    public PolicyRule {
        endpoints = List.copyOf(endpoints);
        cidrs = List.copyOf(cidrs);
        entities = List.copyOf(entities);
        ports = List.copyOf(ports);
        fqdns = List.copyOf(fqdns);
    }

    /** A rule without DNS names. */
    public PolicyRule(List<LabelSelector> endpoints, List<Cidr> cidrs, List<Entity> entities, List<PortRule> ports) {
        this(endpoints, cidrs, entities, ports, List.of());
    }

    /**
     * True when the rule names no peer and so applies to every one. A rule with DNS names only is
     * not "any peer": until a name is resolved it allows nothing.
     */
    public boolean anyPeer() {
        return endpoints.isEmpty() && cidrs.isEmpty() && entities.isEmpty() && fqdns.isEmpty();
    }
}
