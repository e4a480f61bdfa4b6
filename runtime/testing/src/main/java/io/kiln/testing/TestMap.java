package io.kiln.testing;

import io.kiln.bpf.BpfMap;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Optional;

/**
 * A map of a {@link TemplateUnderTest}, with raw key and value bytes in the program's layout (see
 * {@link StructBytes}). For per-CPU maps {@link #get} and {@link #put} take one value and
 * {@link #sumU64} adds a counter over every CPU, as an agent reading metrics would.
 */
public final class TestMap {
    private final BpfMap map;

    TestMap(BpfMap map) {
        this.map = map;
    }

    /** A map this class did not get from a {@link TemplateUnderTest}: e.g. an endpoint's own map made for tier 0. */
    public static TestMap of(BpfMap map) {
        return new TestMap(java.util.Objects.requireNonNull(map, "map"));
    }

    public String name() {
        return map.name();
    }

    /** The underlying map, for what this class does not cover. */
    public BpfMap bpf() {
        return map;
    }

    /** Creates or replaces; for a per-CPU map every CPU gets {@code value}. */
    public TestMap put(byte[] key, byte[] value) {
        map.update(key, map.isPerCpu() ? perCpu(value) : value);
        return this;
    }

    /** The value, or for a per-CPU map CPU 0's value. */
    public Optional<byte[]> get(byte[] key) {
        if (map.isPerCpu()) {
            return map.lookupPerCpu(key).map(values -> values.get(0));
        }
        return map.lookup(key);
    }

    /** Each CPU's value of a per-CPU map (empty list if the key is absent). */
    public List<byte[]> getPerCpu(byte[] key) {
        return map.lookupPerCpu(key).orElse(List.of());
    }

    /** A little-endian u64 at {@code offset} of the value, summed over CPUs for a per-CPU map; 0 if absent. */
    public long sumU64(byte[] key, int offset) {
        if (!map.isPerCpu()) {
            return map.lookup(key).map(v -> ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN).getLong(offset)).orElse(0L);
        }
        long sum = 0;
        for (byte[] v : getPerCpu(key)) {
            sum += ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN).getLong(offset);
        }
        return sum;
    }

    public boolean contains(byte[] key) {
        return map.lookup(key).isPresent();
    }

    public boolean delete(byte[] key) {
        return map.delete(key);
    }

    public List<byte[]> keys() {
        return map.keys();
    }

    /** Entries present now (array maps always hold max_entries). */
    public int size() {
        return map.keys().size();
    }

    /** Deletes every key (array maps cannot delete: their values are zeroed instead). */
    public void clear() {
        boolean array = map.definition().type() == 2 || map.definition().type() == 6; // ARRAY, PERCPU_ARRAY
        for (byte[] k : map.keys()) {
            if (array) {
                map.update(k, new byte[map.valueBufferSize()]);
            } else {
                map.delete(k);
            }
        }
    }

    private byte[] perCpu(byte[] value) {
        int size = map.definition().valueSize();
        if (value.length != size) {
            throw new IllegalArgumentException(map + ": value is " + value.length + " bytes, the map's are " + size);
        }
        int stride = (size + 7) & ~7;
        byte[] all = new byte[map.valueBufferSize()];
        for (int at = 0; at + stride <= all.length; at += stride) {
            System.arraycopy(value, 0, all, at, size);
        }
        return all;
    }

    @Override
    public String toString() {
        return map.toString();
    }
}
