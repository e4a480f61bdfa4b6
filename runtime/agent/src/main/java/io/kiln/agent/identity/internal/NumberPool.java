package io.kiln.agent.identity.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Numbers from {@code [min, max]} handed out to keys, each key keeping its number while it is in
 * use and for a grace period after. Numbers are taken in turn from a cursor rather than the lowest
 * free one, so a number just released is not soon given to another key (something that still
 * holds the old meaning, a conntrack entry or another node, has time to forget it).
 * Not thread-safe: its owner locks.
 */
public final class NumberPool<K> {
    private final int min;
    private final int max;
    private final Map<K, Integer> byKey = new HashMap<>();
    private final SortedMap<Integer, K> byNumber = new TreeMap<>();
    private final Map<K, Instant> lastUsed = new HashMap<>();
    private final Set<K> inUse = new HashSet<>();
    private int next;
    private boolean dirty;

    public NumberPool(int min, int max) {
        this.min = min;
        this.max = max;
        this.next = min;
    }

    public Optional<Integer> find(K key) {
        return Optional.ofNullable(byKey.get(key));
    }

    public Optional<K> holder(int number) {
        return Optional.ofNullable(byNumber.get(number));
    }

    public boolean isInUse(K key) {
        return inUse.contains(key);
    }

    /** The key's number, allocating one if it has none. */
    public int get(K key, Instant now) {
        Integer n = byKey.get(key);
        if (n != null) {
            return n;
        }
        long range = (long) max - min + 1;
        if (byNumber.size() >= range) {
            throw new IllegalStateException("all " + range + " numbers from " + min + " to " + max + " are taken");
        }
        int candidate = next;
        while (byNumber.containsKey(candidate)) {
            candidate = candidate == max ? min : candidate + 1;
        }
        next = candidate == max ? min : candidate + 1;
        put(key, candidate, now);
        return candidate;
    }

    /** Gives {@code number} to {@code key}, taking it from its holder and the key's old number back. */
    public void assign(K key, int number, Instant now) {
        if (number < min || number > max) {
            throw new IllegalArgumentException(number + " is not in " + min + ".." + max);
        }
        Integer old = byKey.get(key);
        if (old != null && old == number) {
            return;
        }
        K holder = byNumber.get(number);
        if (holder != null) {
            remove(holder);
        }
        if (old != null) {
            remove(key);
        }
        put(key, number, now);
    }

    /** Restores an allocation read from the identity file. */
    public void load(K key, int number, Instant now) {
        if (number < min || number > max || byNumber.containsKey(number) || byKey.containsKey(key)) {
            throw new IllegalArgumentException(number + " for " + key + " is out of range or given twice");
        }
        put(key, number, now);
        dirty = false;
    }

    public void setCursor(int cursor) {
        next = cursor < min || cursor > max ? min : cursor;
    }

    public int cursor() {
        return next;
    }

    /**
     * Marks exactly {@code used} as in use at {@code now}; forgets keys unused for longer than
     * {@code grace}. Returns the keys forgotten.
     */
    public Set<K> retain(Collection<K> used, Instant now, Duration grace) {
        inUse.clear();
        inUse.addAll(used);
        for (K k : used) {
            if (byKey.containsKey(k)) {
                lastUsed.put(k, now);
            }
        }
        Set<K> forgotten = new HashSet<>();
        for (K k : new HashSet<>(byKey.keySet())) {
            if (!inUse.contains(k) && lastUsed.get(k).plus(grace).isBefore(now)) {
                remove(k);
                forgotten.add(k);
            }
        }
        return forgotten;
    }

    /** Every allocation, by number. */
    public SortedMap<Integer, K> entries() {
        return java.util.Collections.unmodifiableSortedMap(byNumber);
    }

    public boolean dirty() {
        return dirty;
    }

    public void clean() {
        dirty = false;
    }

    private void put(K key, int number, Instant now) {
        byKey.put(key, number);
        byNumber.put(number, key);
        lastUsed.put(key, now);
        dirty = true;
    }

    private void remove(K key) {
        Integer n = byKey.remove(key);
        if (n != null) {
            byNumber.remove(n);
        }
        lastUsed.remove(key);
        inUse.remove(key);
        dirty = true;
    }
}
