package io.kiln.agent.plan;

import io.kiln.agent.identity.IdentityAllocator;
import io.kiln.agent.policy.LearnedPeers;
import io.kiln.agent.spec.Cidr;
import io.kiln.agent.spec.FqdnSelector;

import java.net.InetAddress;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The peer classes of DNS-learned addresses and their identities. Every rule sees a learned
 * address through two facts only: which {@code toFQDNs} selectors learned it (its names, by any
 * endpoint: the ipcache is the node's) and which rule CIDRs it lies in. Addresses that agree on
 * both are alike to every policy, so they share one identity (Cilium gives a selector's addresses
 * one identity for the same reason). A new address of a class that exists is one ipcache entry and
 * no policy change; only a new class changes policy maps. Mutable; the planner's thread only.
 */
final class LearnedClasses {
    /** What rules see of a learned address. */
    record PeerClass(SortedSet<FqdnSelector> selectors, SortedSet<Cidr> cidrs) {
        /** The key of its identity: names the class completely, stable across agent restarts. */
        String key() {
            return "fqdn[" + selectors.stream().map(FqdnSelector::toString).collect(Collectors.joining(","))
                    + "] cidr[" + cidrs.stream().map(Cidr::toString).collect(Collectors.joining(",")) + "]";
        }
    }

    private final SortedSet<FqdnSelector> universe;
    private final SortedSet<Cidr> ruleCidrs;
    private final Map<InetAddress, PeerClass> classOf = new HashMap<>();
    private final Map<PeerClass, Integer> members = new HashMap<>();
    /** The classes the policies were computed with (a class whose last address went keeps its id until the next full computation). */
    private final Map<PeerClass, Integer> ids = new HashMap<>();
    private LearnedPeers peers;

    private LearnedClasses(SortedSet<FqdnSelector> universe, SortedSet<Cidr> ruleCidrs) {
        this.universe = universe;
        this.ruleCidrs = ruleCidrs;
    }

    static LearnedClasses none() {
        return new LearnedClasses(new TreeSet<>(), new TreeSet<>());
    }

    /**
     * @param universe  every {@code toFQDNs} selector of every policy
     * @param ruleCidrs every CIDR of every policy rule
     * @param learned   per selector, the addresses learned for the names it selects
     */
    static LearnedClasses of(SortedSet<FqdnSelector> universe, SortedSet<Cidr> ruleCidrs,
                             Map<FqdnSelector, ? extends Collection<InetAddress>> learned, IdentityAllocator identities) {
        LearnedClasses c = new LearnedClasses(universe, ruleCidrs);
        Map<InetAddress, SortedSet<FqdnSelector>> selectorsOf = new HashMap<>();
        learned.forEach((q, addresses) -> {
            if (universe.contains(q)) {
                addresses.forEach(a -> selectorsOf.computeIfAbsent(a, x -> new TreeSet<>()).add(q));
            }
        });
        selectorsOf.forEach((a, selectors) -> c.set(a, new PeerClass(selectors, c.cidrsOf(a)), identities));
        return c;
    }

    /** The universe of selectors this was computed for. */
    SortedSet<FqdnSelector> universe() {
        return universe;
    }

    /**
     * Sets {@code a}'s class from the names now learned for it (none: it is no longer learned);
     * true when that made a class the policies do not know yet.
     */
    boolean update(InetAddress a, Collection<String> names, IdentityAllocator identities) {
        SortedSet<FqdnSelector> selectors = new TreeSet<>();
        for (FqdnSelector q : universe) {
            for (String n : names) {
                if (q.matches(n)) {
                    selectors.add(q);
                    break;
                }
            }
        }
        PeerClass now = selectors.isEmpty() ? null : new PeerClass(selectors, cidrsOf(a));
        PeerClass was = classOf.get(a);
        if (java.util.Objects.equals(was, now)) {
            return false;
        }
        if (was != null) {
            classOf.remove(a);
            members.computeIfPresent(was, (k, n) -> n == 1 ? null : n - 1);
        }
        return now != null && set(a, now, identities);
    }

    private boolean set(InetAddress a, PeerClass k, IdentityAllocator identities) {
        classOf.put(a, k);
        members.merge(k, 1, Integer::sum);
        if (ids.containsKey(k)) {
            return false;
        }
        ids.put(k, identities.fqdnIdentity(k.key()));
        peers = null;
        return true;
    }

    private SortedSet<Cidr> cidrsOf(InetAddress a) {
        SortedSet<Cidr> out = new TreeSet<>();
        Cidr host = Cidr.host(a);
        for (Cidr c : ruleCidrs) {
            if (c.contains(host)) {
                out.add(c);
            }
        }
        return out;
    }

    /** The identity of a learned address, or null if it is not learned. */
    Integer identityOf(InetAddress a) {
        PeerClass k = classOf.get(a);
        return k == null ? null : ids.get(k);
    }

    /** Every learned address. */
    Collection<InetAddress> addresses() {
        return Collections.unmodifiableSet(classOf.keySet());
    }

    /** The keys of the classes in use (for the identity allocator's retention). */
    List<String> keys() {
        return members.keySet().stream().map(PeerClass::key).toList();
    }

    /** The identities rules name: by selector, and by rule CIDR. */
    LearnedPeers peers() {
        if (peers == null) {
            SortedMap<FqdnSelector, SortedSet<Integer>> byFqdn = new TreeMap<>();
            SortedMap<Cidr, SortedSet<Integer>> byCidr = new TreeMap<>();
            ids.forEach((k, id) -> {
                k.selectors().forEach(q -> byFqdn.computeIfAbsent(q, x -> new TreeSet<>()).add(id));
                k.cidrs().forEach(c -> byCidr.computeIfAbsent(c, x -> new TreeSet<>()).add(id));
            });
            peers = new LearnedPeers(byFqdn, byCidr);
        }
        return peers;
    }

    int size() {
        return classOf.size();
    }
}
