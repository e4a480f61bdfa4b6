package io.kiln.agent.policy;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The complete content of one endpoint's policy map: key to action. An empty policy denies
 * everything but replies (the dataplane's default); "allow everything in a direction" is the
 * entry {@code {0, 0, 0, direction} -> ALLOW}. {@code dns} are its DNS rules on queries (the node
 * map {@code dns_rules} holds them under the endpoint's id), {@link DnsQueryRules#NONE} without any.
 */
public record EndpointPolicy(SortedMap<PolicyKey, PolicyAction> entries, DnsQueryRules dns) {
    public static final EndpointPolicy EMPTY = new EndpointPolicy(new TreeMap<>());

    public EndpointPolicy {
        entries = Collections.unmodifiableSortedMap(new TreeMap<>(entries));
        Objects.requireNonNull(dns, "dns");
    }

    /** A policy without DNS rules on queries. */
    public EndpointPolicy(SortedMap<PolicyKey, PolicyAction> entries) {
        this(entries, DnsQueryRules.NONE);
    }

    public static EndpointPolicy of(Map<PolicyKey, PolicyAction> entries) {
        return new EndpointPolicy(new TreeMap<>(entries));
    }

    public EndpointPolicy withDns(DnsQueryRules rules) {
        return new EndpointPolicy(entries, rules);
    }

    public PolicyAction get(PolicyKey key) {
        return entries.get(key);
    }

    public int size() {
        return entries.size();
    }

    /**
     * The dataplane's verdict for a packet, computed the way its {@code policy.h} does (for tests
     * and {@code kiln status} explanations): the six entries from most to least specific; any DENY
     * denies, else any ALLOW allows, else denied.
     */
    public PolicyAction verdict(int peerIdentity, int port, int protocol, TrafficDirection direction) {
        boolean allowed = false;
        int[] identities = peerIdentity == 0 ? new int[] {0} : new int[] {peerIdentity, 0};
        for (int id : identities) {
            for (PolicyKey k : new PolicyKey[] {new PolicyKey(id, protocol == 0 ? 0 : port, protocol, direction),
                    new PolicyKey(id, 0, protocol, direction), new PolicyKey(id, 0, 0, direction)}) {
                PolicyAction a = entries.get(k);
                if (a == PolicyAction.DENY) {
                    return PolicyAction.DENY;
                }
                allowed |= a == PolicyAction.ALLOW;
            }
        }
        return allowed ? PolicyAction.ALLOW : PolicyAction.DENY;
    }
}
