package io.kiln.runtime.internal;

import io.kiln.bpf.BpfMap;
import io.kiln.bpf.MapDefinition;
import io.kiln.bpf.MapLayout;
import io.kiln.runtime.EndpointException;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Moves a pinned map's entries into a new map of another layout: the key and each value are
 * rebuilt field by field, matched by name (a field the old layout lacks starts at zero, one the new
 * layout lacks is dropped). What cannot be carried over is refused before anything is made, with
 * the map, the field and the reason: a field whose type or size changed, a key field removed (two
 * keys could become one), a map type that holds no copyable entries, fewer entries than live now.
 */
public final class MapMigration {
    private static final int HASH = 1;
    private static final int ARRAY = 2;
    private static final int PERCPU_HASH = 5;
    private static final int PERCPU_ARRAY = 6;
    private static final int LRU_HASH = 9;
    private static final int LRU_PERCPU_HASH = 10;
    private static final int LPM_TRIE = 11;
    private static final Set<Integer> COPYABLE = Set.of(HASH, ARRAY, PERCPU_HASH, PERCPU_ARRAY, LRU_HASH,
            LRU_PERCPU_HASH, LPM_TRIE);

    private final String label;
    private final MapLayout from;
    private final MapLayout to;
    private final Converter key;
    private final Converter value;

    private MapMigration(String label, MapLayout from, MapLayout to, Converter key, Converter value) {
        this.label = label;
        this.from = from;
        this.to = to;
        this.key = key;
        this.value = value;
    }

    public MapLayout from() {
        return from;
    }

    public MapLayout to() {
        return to;
    }

    /**
     * Plans moving entries of a map laid out as {@code from} into one laid out as {@code to}.
     *
     * @param label names the map in messages, e.g. "endpoint 3: map policy"
     * @throws EndpointException (a user error) for a change that cannot be migrated, naming field and reason
     */
    public static MapMigration plan(String label, MapLayout from, MapLayout to) {
        MapDefinition a = from.definition();
        MapDefinition b = to.definition();
        if (!COPYABLE.contains(a.type()) || !COPYABLE.contains(b.type())) {
            int t = COPYABLE.contains(a.type()) ? b.type() : a.type();
            throw refuse(label, "a " + typeName(t) + " map holds no entries Kiln can copy (only hash, array, LRU,"
                    + " per-CPU and LPM maps migrate); was " + a + ", now " + b);
        }
        if (family(a.type()) != family(b.type())) {
            throw refuse(label, "the map type changed from " + typeName(a.type()) + " to " + typeName(b.type()));
        }
        Converter k = converter(label, "key", from.key(), to.key(), a.keySize(), b.keySize(), true);
        Converter v = converter(label, "value", from.value(), to.value(), a.valueSize(), b.valueSize(), false);
        return new MapMigration(label, from, to, k, v);
    }

    /**
     * Result of {@link #copy}: entries copied, skipped (array slots past the new size that were
     * zero), and the old map's keys as they were read (empty for arrays), for {@link #catchUpSince}.
     */
    public record Copied(int entries, int skipped, Set<java.nio.ByteBuffer> keys) {
    }

    /**
     * Copies every entry of {@code source} (laid out as {@link #from()}) into {@code target} (laid
     * out as {@link #to()}). Refuses, before writing anything, when the live entries do not fit.
     */
    public Copied copy(BpfMap source, BpfMap target) {
        List<BpfMap.Entry> entries = source.entries();
        int max = to.definition().maxEntries();
        boolean array = isArray(from.definition().type());
        if (!array && Integer.toUnsignedLong(max) < entries.size()) {
            throw refuse(label, "max_entries " + Integer.toUnsignedString(max) + " is below the " + entries.size()
                    + " entries it holds now (was " + Integer.toUnsignedString(from.definition().maxEntries()) + ")");
        }
        List<BpfMap.Entry> converted = new ArrayList<>(entries.size());
        Set<java.nio.ByteBuffer> keys = array ? Set.of() : new java.util.HashSet<>(entries.size() * 2);
        int skipped = 0;
        for (BpfMap.Entry e : entries) {
            if (!array) {
                keys.add(java.nio.ByteBuffer.wrap(e.key()));
            }
            if (array && Integer.toUnsignedLong(index(e.key())) >= Integer.toUnsignedLong(max)) {
                if (!allZero(e.value())) {
                    throw refuse(label, "max_entries " + Integer.toUnsignedString(max) + " would drop slot "
                            + Integer.toUnsignedString(index(e.key())) + ", which holds a value (was "
                            + Integer.toUnsignedString(from.definition().maxEntries()) + ")");
                }
                skipped++;
                continue;
            }
            converted.add(new BpfMap.Entry(key.convert(e.key(), 1), convertValue(e.value(), source, target)));
        }
        target.updateAll(converted);
        return new Copied(converted.size(), skipped, keys);
    }

    /**
     * Copies the entries of {@code source} whose keys it did not hold at the {@link #copy} that read
     * {@code copiedKeys} (made by the old programs since), unless {@code target} has them already
     * (made by the new programs: theirs win). One pass over {@code source}, none over
     * {@code target}; an entry the new programs deleted meanwhile is not brought back. Returns how
     * many it added.
     */
    public int catchUpSince(BpfMap source, BpfMap target, Set<java.nio.ByteBuffer> copiedKeys) {
        if (isArray(from.definition().type())) {
            return 0; // every slot exists in both; the new programs own the new map's values now
        }
        int added = 0;
        for (BpfMap.Entry e : source.entries()) {
            if (copiedKeys.contains(java.nio.ByteBuffer.wrap(e.key()))) {
                continue;
            }
            try {
                target.update(key.convert(e.key(), 1), convertValue(e.value(), source, target), BpfMap.NOEXIST);
                added++;
            } catch (RuntimeException ex) {
                // made meanwhile by the new programs (EEXIST) or the map is full: theirs wins
            }
        }
        return added;
    }

    /**
     * Copies entries of {@code source} that {@code target} lacks (made by the old programs while
     * the new ones were being attached); never overwrites. Returns how many it added.
     */
    public int catchUp(BpfMap source, BpfMap target) {
        if (isArray(from.definition().type())) {
            return 0; // every slot exists in both; the new programs own the new map's values now
        }
        java.util.Set<java.nio.ByteBuffer> present = new java.util.HashSet<>();
        for (BpfMap.Entry e : target.entries()) {
            present.add(java.nio.ByteBuffer.wrap(e.key()));
        }
        int added = 0;
        for (BpfMap.Entry e : source.entries()) {
            byte[] nk = key.convert(e.key(), 1);
            if (present.contains(java.nio.ByteBuffer.wrap(nk))) {
                continue;
            }
            try {
                target.update(nk, convertValue(e.value(), source, target), BpfMap.NOEXIST);
                added++;
            } catch (RuntimeException ex) {
                // made meanwhile by the new programs (EEXIST) or the map is full: theirs wins
            }
        }
        return added;
    }

    private byte[] convertValue(byte[] v, BpfMap source, BpfMap target) {
        if (!source.isPerCpu()) {
            return value.convert(v, 1);
        }
        int cpus = v.length / stride(from.definition().valueSize());
        return value.convertPerCpu(v, cpus, stride(from.definition().valueSize()), stride(to.definition().valueSize()));
    }

    private static int stride(int size) {
        return (size + 7) & ~7;
    }

    // ---- planning ----

    private record Copy(int from, int to, int size) {
    }

    /** Builds the new bytes of a key or value from the old: byte ranges copied, the rest zero. */
    private record Converter(int fromSize, int toSize, List<Copy> copies, boolean identity) {
        byte[] convert(byte[] old, int unused) {
            if (identity) {
                return old.clone();
            }
            byte[] out = new byte[toSize];
            for (Copy c : copies) {
                System.arraycopy(old, c.from(), out, c.to(), c.size());
            }
            return out;
        }

        byte[] convertPerCpu(byte[] old, int cpus, int fromStride, int toStride) {
            byte[] out = new byte[cpus * toStride];
            for (int cpu = 0; cpu < cpus; cpu++) {
                byte[] one = java.util.Arrays.copyOfRange(old, cpu * fromStride, cpu * fromStride + fromSize);
                System.arraycopy(convert(one, 1), 0, out, cpu * toStride, toSize);
            }
            return out;
        }
    }

    private static Converter converter(String label, String what, List<MapLayout.Field> from, List<MapLayout.Field> to,
                                       int fromSize, int toSize, boolean isKey) {
        if (fromSize == toSize && from.equals(to)) {
            return new Converter(fromSize, toSize, List.of(), true); // unchanged: padding bytes too
        }
        if (from.isEmpty() || to.isEmpty()) {
            throw refuse(label, "the " + what + " changed (" + fromSize + " -> " + toSize + " bytes) and its fields are"
                    + " unknown (" + (from.isEmpty() ? "the pinned map's" : "the new object's") + " layout has no BTF"
                    + " fields), so Kiln cannot tell where each old field goes");
        }
        List<Copy> copies = new ArrayList<>();
        for (MapLayout.Field nf : to) {
            Optional<MapLayout.Field> old = MapLayout.field(from, nf.name());
            if (old.isEmpty()) {
                continue; // a new field: zero
            }
            MapLayout.Field of = old.get();
            String fieldName = what + " field " + (nf.name().isEmpty() ? "(whole " + what + ")" : nf.name());
            if (of.size() != nf.size() || !of.type().equals(nf.type())) {
                throw refuse(label, fieldName + ": its type changed from " + of.type() + " (" + of.size()
                        + " bytes) to " + nf.type() + " (" + nf.size() + " bytes); Kiln migrates added, removed and moved"
                        + " fields, not retyped ones");
            }
            if (nf.isBitField() && (of.offset() != nf.offset() || !from.equals(to))) {
                throw refuse(label, fieldName + " is a bit field: Kiln copies bytes, not bits, so a layout with a bit"
                        + " field migrates only unchanged");
            }
            copies.add(new Copy(of.offset(), nf.offset(), nf.size()));
        }
        for (MapLayout.Field of : from) {
            if (MapLayout.field(to, of.name()).isEmpty() && isKey) {
                throw refuse(label, "key field " + (of.name().isEmpty() ? "(whole key)" : of.name()) + " was removed:"
                        + " entries that differ only in it would collide in the new map");
            }
        }
        return new Converter(fromSize, toSize, List.copyOf(copies), false);
    }

    private static int family(int type) {
        return switch (type) {
            case HASH, LRU_HASH -> HASH;
            case PERCPU_HASH, LRU_PERCPU_HASH -> PERCPU_HASH;
            default -> type;
        };
    }

    private static boolean isArray(int type) {
        return type == ARRAY || type == PERCPU_ARRAY;
    }

    private static int index(byte[] key) {
        return java.nio.ByteBuffer.wrap(key).order(java.nio.ByteOrder.nativeOrder()).getInt();
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static String typeName(int type) {
        return new MapDefinition(type, 0, 0, 0, 0).typeName();
    }

    private static EndpointException refuse(String label, String why) {
        return new EndpointException(label + ": cannot migrate: " + why + ". The running programs and the map are"
                + " untouched; remove the pin to start the map empty, or keep the old layout", true);
    }

    @Override
    public String toString() {
        return label + ": " + from.definition() + " -> " + to.definition();
    }
}
