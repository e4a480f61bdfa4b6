package io.kiln.agent.fqdn;

import io.kiln.agent.spec.AddressLiterals;
import io.kiln.agent.spec.FqdnSelector;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * The names an endpoint has looked up and the addresses they resolved to, kept as long as the
 * answer said (never less than a configurable minimum, since a TTL of 0 would otherwise drop the
 * address before the client's first packet) and, after that, as long as a tracked connection
 * still uses the address. Only names some FQDN rule of the endpoint selects are kept. Bounded per
 * endpoint and per node: past a bound, new entries are refused and counted, so an endpoint that
 * looks up a million names costs a counter, not memory.
 */
public final class FqdnCache {
    /** An address learned by an endpoint for a name, valid until {@code expires}. */
    public record Entry(int endpointId, String name, InetAddress address, Instant expires) {
    }

    /** What one answer did. */
    public record Learned(int added, int refreshed, int refused, int ignored) {
        public boolean changedAddresses() {
            return added > 0;
        }
    }

    private record Key(int endpointId, String name, InetAddress address) {
    }

    private final Duration minTtl;
    private final int perEndpoint;
    private final int perNode;
    private final Map<Key, Instant> entries = new HashMap<>();
    private final Map<Integer, Integer> countByEndpoint = new HashMap<>();
    /** For each address, its names with how many endpoints learned each: what the planner asks per address. */
    private final Map<InetAddress, Map<String, Integer>> namesByAddress = new HashMap<>();
    private long refusedTotal;
    /** Counts changes (entries added, refreshed, removed): whether the state file is behind. */
    private long version;

    /**
     * @param minTtl      the shortest time an address is kept (a TTL below it counts as it)
     * @param perEndpoint entries one endpoint may hold
     * @param perNode     entries all endpoints together may hold
     */
    public FqdnCache(Duration minTtl, int perEndpoint, int perNode) {
        if (minTtl.isNegative() || perEndpoint < 1 || perNode < 1) {
            throw new IllegalArgumentException("minTtl >= 0 and limits >= 1, got " + minTtl + ", " + perEndpoint
                    + ", " + perNode);
        }
        this.minTtl = minTtl;
        this.perEndpoint = perEndpoint;
        this.perNode = perNode;
    }

    /**
     * Learns what {@code answer}, received by {@code endpointId}, says about the names its rules
     * select ({@code selectors}: the toFQDNs of the policies that select it).
     */
    public synchronized Learned learn(int endpointId, DnsAnswer answer, Collection<FqdnSelector> selectors, Instant now) {
        return learn(endpointId, answer, selectors, now, new java.util.HashSet<>());
    }

    /** As above, adding to {@code addedAddresses} each address an entry was added for. */
    public synchronized Learned learn(int endpointId, DnsAnswer answer, Collection<FqdnSelector> selectors, Instant now,
                                      Collection<InetAddress> addedAddresses) {
        int added = 0;
        int refreshed = 0;
        int refused = 0;
        int ignored = 0;
        for (DnsAnswer.Learned l : answer.learned()) {
            if (selectors.stream().noneMatch(s -> s.matches(l.name()))) {
                ignored++;
                continue;
            }
            Instant expires = now.plus(Duration.ofSeconds(l.ttlSeconds()).compareTo(minTtl) < 0 ? minTtl
                    : Duration.ofSeconds(l.ttlSeconds()));
            Key k = new Key(endpointId, l.name(), l.address());
            Instant old = entries.get(k);
            if (old != null) {
                if (expires.isAfter(old)) {
                    entries.put(k, expires);
                    version++;
                }
                refreshed++;
                continue;
            }
            if (countByEndpoint.getOrDefault(endpointId, 0) >= perEndpoint || entries.size() >= perNode) {
                refused++;
                continue;
            }
            entries.put(k, expires);
            countByEndpoint.merge(endpointId, 1, Integer::sum);
            indexName(k);
            addedAddresses.add(l.address());
            version++;
            added++;
        }
        refusedTotal += refused;
        return new Learned(added, refreshed, refused, ignored);
    }

    /**
     * Removes the entries whose time has passed and whose address no tracked connection uses
     * ({@code inUse}); returns them.
     */
    public synchronized List<Entry> expire(Instant now, Predicate<InetAddress> inUse) {
        List<Entry> out = new ArrayList<>();
        Iterator<Map.Entry<Key, Instant>> it = entries.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Key, Instant> e = it.next();
            if (!e.getValue().isAfter(now) && !inUse.test(e.getKey().address())) {
                it.remove();
                countByEndpoint.computeIfPresent(e.getKey().endpointId(), (k, n) -> n == 1 ? null : n - 1);
                unindexName(e.getKey());
                version++;
                out.add(entry(e));
            }
        }
        return out;
    }

    /** Forgets an endpoint that is gone. */
    public synchronized void forget(int endpointId) {
        entries.keySet().removeIf(k -> {
            if (k.endpointId() != endpointId) {
                return false;
            }
            unindexName(k);
            version++;
            return true;
        });
        countByEndpoint.remove(endpointId);
    }

    /**
     * Puts back an entry kept from before a restart (io.kiln.agent.fqdn's state file), within the
     * bounds; false when it was known already or a bound refused it.
     */
    public synchronized boolean restore(Entry e) {
        Key k = new Key(e.endpointId(), FqdnSelector.normalize(e.name()), e.address());
        if (entries.containsKey(k) || countByEndpoint.getOrDefault(e.endpointId(), 0) >= perEndpoint
                || entries.size() >= perNode) {
            return false;
        }
        entries.put(k, e.expires());
        countByEndpoint.merge(e.endpointId(), 1, Integer::sum);
        indexName(k);
        version++;
        return true;
    }

    /** Grows with every change of the entries. */
    public synchronized long version() {
        return version;
    }

    /** The node's bound: what a state file may hold at most. */
    public int perNode() {
        return perNode;
    }

    private void indexName(Key k) {
        namesByAddress.computeIfAbsent(k.address(), a -> new HashMap<>(2)).merge(k.name(), 1, Integer::sum);
    }

    private void unindexName(Key k) {
        Map<String, Integer> names = namesByAddress.get(k.address());
        if (names != null) {
            names.computeIfPresent(k.name(), (n, c) -> c == 1 ? null : c - 1);
            if (names.isEmpty()) {
                namesByAddress.remove(k.address());
            }
        }
    }

    /** The names some endpoint learned {@code address} for (empty: none): what the planner's classes come from. */
    public synchronized List<String> names(InetAddress address) {
        Map<String, Integer> names = namesByAddress.get(address);
        return names == null ? List.of() : List.copyOf(names.keySet());
    }

    /**
     * Node-wide: for each selector, the addresses learned for the names it selects, by any endpoint
     * (an address is an address: the ipcache is the node's).
     */
    public synchronized SortedMap<FqdnSelector, SortedSet<InetAddress>> addresses(Collection<FqdnSelector> selectors) {
        SortedMap<FqdnSelector, SortedSet<InetAddress>> out = new TreeMap<>();
        for (FqdnSelector s : selectors) {
            SortedSet<InetAddress> set = new TreeSet<>(AddressLiterals.ORDER);
            entries.keySet().stream().filter(k -> s.matches(k.name())).forEach(k -> set.add(k.address()));
            out.put(s, set);
        }
        return out;
    }

    /** Every entry, or one endpoint's, by endpoint, name and address: what {@code kiln fqdn list} shows. */
    public synchronized List<Entry> entries(Integer endpointId) {
        return entries.entrySet().stream()
                .filter(e -> endpointId == null || e.getKey().endpointId() == endpointId)
                .map(FqdnCache::entry)
                .sorted(Comparator.comparingInt(Entry::endpointId).thenComparing(Entry::name)
                        .thenComparing(Entry::address, AddressLiterals.ORDER))
                .toList();
    }

    public synchronized int size() {
        return entries.size();
    }

    /** Entries refused by a bound since this cache was made. */
    public synchronized long refused() {
        return refusedTotal;
    }

    private static Entry entry(Map.Entry<Key, Instant> e) {
        return new Entry(e.getKey().endpointId(), e.getKey().name(), e.getKey().address(), e.getValue());
    }

    @Override
    public String toString() {
        return "FqdnCache[" + entries.size() + " entries, min TTL " + minTtl + ", limits " + perEndpoint + "/"
                + perNode + "]";
    }
}
