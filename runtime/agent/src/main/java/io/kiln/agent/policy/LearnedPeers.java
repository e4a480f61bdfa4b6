package io.kiln.agent.policy;

import io.kiln.agent.spec.Cidr;
import io.kiln.agent.spec.FqdnSelector;

import java.net.InetAddress;
import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The identities of DNS-learned addresses that rules name as peers: for each {@code toFQDNs}
 * selector, the identities of the addresses learned for its names; for each rule CIDR, the
 * identities of learned addresses inside it (their host prefixes win the ipcache's longest-prefix
 * match over the rule's own prefix, so the rule must name their identity too).
 *
 * <p>The planner gives every learned address the identity of its peer class (the selectors that
 * learned it and the rule CIDRs it lies in), so these sets change only when a class appears: a new
 * address of a known class changes the ipcache and no policy map.
 */
public record LearnedPeers(SortedMap<FqdnSelector, SortedSet<Integer>> byFqdn,
                           SortedMap<Cidr, SortedSet<Integer>> byCidr) {
    public static final LearnedPeers NONE = new LearnedPeers(new TreeMap<>(), new TreeMap<>());

    public LearnedPeers {
        byFqdn = Collections.unmodifiableSortedMap(new TreeMap<>(byFqdn));
        byCidr = Collections.unmodifiableSortedMap(new TreeMap<>(byCidr));
    }

    /**
     * Per-address identities (each learned address has its host prefix in {@code cidrIdentities},
     * as the policy computer's callers gave them before classes): a selector's peers are the
     * identities of its addresses' host prefixes; rule CIDRs find those prefixes in
     * {@code cidrIdentities} themselves.
     */
    public static LearnedPeers ofAddresses(Map<FqdnSelector, ? extends Collection<InetAddress>> learned,
                                           Map<Cidr, Integer> cidrIdentities) {
        SortedMap<FqdnSelector, SortedSet<Integer>> out = new TreeMap<>();
        learned.forEach((q, addresses) -> {
            SortedSet<Integer> ids = new TreeSet<>();
            for (InetAddress a : addresses) {
                Integer id = cidrIdentities.get(Cidr.host(a));
                if (id != null) {
                    ids.add(id);
                }
            }
            out.put(q, ids);
        });
        return new LearnedPeers(out, new TreeMap<>());
    }

    SortedSet<Integer> of(FqdnSelector q) {
        SortedSet<Integer> ids = byFqdn.get(q);
        return ids == null ? Collections.emptySortedSet() : ids;
    }

    SortedSet<Integer> inside(Cidr c) {
        SortedSet<Integer> ids = byCidr.get(c);
        return ids == null ? Collections.emptySortedSet() : ids;
    }
}
