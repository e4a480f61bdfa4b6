package io.kiln.runtime.internal;

import io.kiln.bpf.BpfException;
import io.kiln.bpf.BpfMap;
import io.kiln.bpf.Errno;
import io.kiln.bpf.MapDefinition;
import io.kiln.runtime.EndpointException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Replaces a pinned node map of maps (tier 0's {@code policy_maps}, {@code metrics_maps}: endpoint
 * id to that endpoint's own map) whose capacity or inner-map definition changed with a build: such a
 * map holds references to maps, not bytes to convert, so {@link MapMigration} refuses it. A new map
 * of maps is made with the new capacity and an inner map of the object's definition, and every inner
 * map the old one holds that the kernel takes into the new one (same type, key and value size,
 * flags) is put in under the same key: the very same map, not a copy. An inner map of the old
 * definition is left out: its endpoint's programs (tier 0 of the old variant, which keeps the old
 * map of maps) use it as it is, and its own pinned map is migrated field by field when that endpoint
 * moves to the new variant ({@link MapMigration}), after which it is registered in the new map.
 *
 * <p>Refused, before anything is made: a change of the map's type or key size, and fewer entries than
 * the endpoints the map holds now.
 */
public final class MapsOfMapsMigration {
    private static final int ARRAY_OF_MAPS = 12;
    private static final int HASH_OF_MAPS = 13;

    private final String label;
    private final MapDefinition from;
    private final MapDefinition to;
    private final MapDefinition inner;

    private MapsOfMapsMigration(String label, MapDefinition from, MapDefinition to, MapDefinition inner) {
        this.label = label;
        this.from = from;
        this.to = to;
        this.inner = inner;
    }

    public MapDefinition from() {
        return from;
    }

    public MapDefinition to() {
        return to;
    }

    /** The definition of the inner maps the new map of maps takes. */
    public MapDefinition inner() {
        return inner;
    }

    /** What a copy did: inner maps carried over, keys left out (an inner map of another definition), keys read. */
    public record Copied(int carried, List<Integer> leftOut, Set<ByteBuffer> keys) {
    }

    /**
     * Why the map of maps {@code pinned} does not take inner maps defined as {@code wantedInner}, or
     * empty if it does. Read from an inner map it holds (the kernel checked each against its inner
     * definition); a hash of maps that holds none is asked with a probe: a one-entry map of that
     * definition put in under key {@code 0xffffffff} (no endpoint's id: ids are 16 bits) and removed
     * at once. An empty array of maps cannot be asked (every index could be in use): it counts as fitting.
     */
    public static Optional<String> innerMismatch(BpfMap pinned, MapDefinition wantedInner) {
        for (byte[] key : pinned.keys()) {
            Optional<Integer> id = pinned.innerMapId(key);
            if (id.isEmpty()) {
                continue;
            }
            MapDefinition held;
            try (BpfMap m = BpfMap.fromId(id.get())) {
                held = m.definition();
            } catch (BpfException e) {
                continue; // gone meanwhile
            }
            return BpfMap.innerFits(held, wantedInner) ? Optional.empty()
                    : Optional.of("it holds inner maps defined as " + held + " (endpoint " + keyId(key) + "'s)");
        }
        if (pinned.definition().type() != HASH_OF_MAPS) {
            return Optional.empty();
        }
        boolean array = wantedInner.type() == 2 || wantedInner.type() == 6;
        MapDefinition probeDef = array ? wantedInner : new MapDefinition(wantedInner.type(), wantedInner.keySize(),
                wantedInner.valueSize(), 1, wantedInner.flags());
        byte[] probeKey = new byte[pinned.definition().keySize()];
        java.util.Arrays.fill(probeKey, (byte) 0xff);
        try (BpfMap probe = BpfMap.create("kiln_probe", probeDef)) {
            try {
                pinned.updateInnerMap(probeKey, probe);
            } catch (BpfException e) {
                if (e.errno() == Errno.EINVAL) {
                    return Optional.of("it was made for inner maps of another definition than " + wantedInner
                            + " (the kernel refuses one)");
                }
                throw e;
            }
            pinned.delete(probeKey);
        }
        return Optional.empty();
    }

    /**
     * Plans replacing the map of maps {@code old} by one defined as {@code to} holding inner maps
     * defined as {@code inner}; refuses (a user error, naming the map) a change of type or key size
     * and a capacity below the endpoints it holds.
     */
    public static MapsOfMapsMigration plan(String label, BpfMap old, MapDefinition to, MapDefinition inner) {
        MapDefinition from = old.definition();
        if (from.type() != to.type()) {
            throw refuse(label, "the map type changed from " + from.typeName() + " to " + to.typeName());
        }
        if (from.keySize() != to.keySize() || from.valueSize() != to.valueSize()) {
            throw refuse(label, "its key or value size changed (" + from + " -> " + to + ")");
        }
        List<byte[]> held = heldKeys(old);
        long max = Integer.toUnsignedLong(to.maxEntries());
        if (to.type() == ARRAY_OF_MAPS) {
            for (byte[] k : held) {
                if (Integer.toUnsignedLong(keyId(k)) >= max) {
                    throw refuse(label, "max_entries " + max + " would drop index " + Integer.toUnsignedString(keyId(k))
                            + ", which holds endpoint " + keyId(k) + "'s map (was " + Integer.toUnsignedString(from.maxEntries()) + ")");
                }
            }
        } else if (held.size() > max) {
            throw refuse(label, "max_entries " + max + " is below the " + held.size() + " endpoints it holds now (was "
                    + Integer.toUnsignedString(from.maxEntries()) + "): raise it to at least " + held.size()
                    + ", or remove endpoints first");
        }
        return new MapsOfMapsMigration(label, from, to, inner);
    }

    /** The new, empty map of maps (this process's handle), with an inner map of the new definition as its template. */
    public BpfMap create(String kernelName) {
        try (BpfMap template = BpfMap.create(kernelName.length() > 10 ? kernelName.substring(0, 10) + "_tmpl" : kernelName + "_tmpl",
                inner)) {
            return BpfMap.create(kernelName, to, template);
        }
    }

    /** Puts every inner map {@code source} holds that fits the new definition into {@code target}, under its key. */
    public Copied copy(BpfMap source, BpfMap target) {
        int carried = 0;
        List<Integer> leftOut = new ArrayList<>();
        Set<ByteBuffer> keys = new HashSet<>();
        for (byte[] key : source.keys()) {
            Optional<Integer> id = source.innerMapId(key);
            if (id.isEmpty()) {
                continue;
            }
            keys.add(ByteBuffer.wrap(key));
            if (carry(key, id.get(), target)) {
                carried++;
            } else {
                leftOut.add(keyId(key));
            }
        }
        return new Copied(carried, List.copyOf(leftOut), keys);
    }

    /**
     * After the rename: the inner maps registered in {@code source} since the {@link #copy} that read
     * {@code copiedKeys} (an endpoint registered on the old variant's tier 0 meanwhile), if they fit
     * and the key is free in {@code target}. Returns how many it added.
     */
    public int catchUpSince(BpfMap source, BpfMap target, Set<ByteBuffer> copiedKeys) {
        int added = 0;
        for (byte[] key : source.keys()) {
            if (copiedKeys.contains(ByteBuffer.wrap(key)) || target.innerMapId(key).isPresent()) {
                continue;
            }
            Optional<Integer> id = source.innerMapId(key);
            if (id.isPresent() && carry(key, id.get(), target)) {
                added++;
            }
        }
        return added;
    }

    private boolean carry(byte[] key, int innerId, BpfMap target) {
        try (BpfMap m = BpfMap.fromId(innerId)) {
            if (!BpfMap.innerFits(m.definition(), inner)) {
                return false;
            }
            target.updateInnerMap(key, m);
            return true;
        } catch (BpfException e) {
            if (e.errno() == Errno.ENOENT) {
                return false; // the inner map went meanwhile (its endpoint was removed)
            }
            throw e;
        }
    }

    private static List<byte[]> heldKeys(BpfMap m) {
        List<byte[]> held = new ArrayList<>();
        for (byte[] k : m.keys()) {
            if (m.innerMapId(k).isPresent()) {
                held.add(k);
            }
        }
        return held;
    }

    private static int keyId(byte[] key) {
        return key.length >= 4 ? ByteBuffer.wrap(key).order(ByteOrder.nativeOrder()).getInt() : key[0] & 0xff;
    }

    private static EndpointException refuse(String label, String why) {
        return new EndpointException(label + ": cannot replace the map of maps: " + why + ". The running programs and"
                + " the map are untouched", true);
    }

    @Override
    public String toString() {
        return label + ": " + from + " -> " + to + " (inner " + inner + ")";
    }
}
