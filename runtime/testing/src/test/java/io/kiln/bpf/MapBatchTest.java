package io.kiln.bpf;

import io.kiln.testing.KernelRequirements;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link BpfMap#entries()} and {@link BpfMap#updateAll}: every entry, in batches across several
 * calls where the map type has batch operations (hash, LRU, array, per-CPU), key by key where it
 * has not (LPM trie).
 */
class MapBatchTest {
    @BeforeEach
    void kernel() {
        KernelRequirements.assumeKernel();
    }

    private static byte[] u32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(v).array();
    }

    private static byte[] u64(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(v).array();
    }

    private static void roundTrip(int type, int n, java.util.function.IntFunction<byte[]> key, int valueSize) {
        try (BpfMap m = BpfMap.create("kt_batch", new MapDefinition(type, key.apply(0).length, valueSize, 4096, 0))) {
            List<BpfMap.Entry> in = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                byte[] v = new byte[m.valueBufferSize()];
                ByteBuffer.wrap(v).order(ByteOrder.nativeOrder()).putLong(0, 1000L + i);
                in.add(new BpfMap.Entry(key.apply(i), v));
            }
            m.updateAll(in);
            Map<ByteBuffer, byte[]> out = new HashMap<>();
            for (BpfMap.Entry e : m.entries()) {
                out.put(ByteBuffer.wrap(e.key()), e.value());
            }
            assertEquals(type == 2 || type == 6 ? 4096 : n, out.size(), "entries of map type " + type);
            for (BpfMap.Entry e : in) {
                assertArrayEquals(e.value(), out.get(ByteBuffer.wrap(e.key())), "type " + type);
            }
        }
    }

    @Test
    void hashLruArrayAndPerCpuInSeveralBatches() {
        roundTrip(1, 3000, MapBatchTest::u32, 16);  // hash
        roundTrip(9, 3000, MapBatchTest::u32, 24);  // lru_hash
        roundTrip(2, 4096, MapBatchTest::u32, 8);   // array: every slot
        roundTrip(5, 2500, MapBatchTest::u32, 8);   // percpu_hash: one value per possible CPU
    }

    @Test
    void lpmTrieFallsBackToKeyByKey() {
        // BPF_F_NO_PREALLOC is required for LPM tries
        try (BpfMap m = BpfMap.create("kt_lpm", new MapDefinition(11, 8, 8, 64, 1))) {
            List<BpfMap.Entry> in = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                byte[] k = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putInt(32).array();
                k[4] = (byte) 198;
                k[5] = 18;
                k[6] = 1;
                k[7] = (byte) i;
                in.add(new BpfMap.Entry(k, u64(i)));
            }
            m.updateAll(in);
            assertEquals(40, m.entries().size());
        }
    }
}
