package io.kiln.bpf;

import static io.kiln.bpf.MapTest.u32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.testing.BpfLeakCheck;
import io.kiln.testing.KernelRequirements;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Standalone maps ({@code bpf_map_create}) and maps of maps: inner maps put in, looked up, refused. */
class MapOfMapsTest {
    private static final int HASH = 1;
    private static final int PERCPU_ARRAY = 6;
    private static final int HASH_OF_MAPS = 13;
    private static final int NO_PREALLOC = 1;
    private static final MapDefinition INNER = new MapDefinition(HASH, 8, 4, 64, NO_PREALLOC);

    private BpfLeakCheck leaks;

    @BeforeEach
    void kernel() {
        KernelRequirements.assumeKernel();
        KernelRequirements.assumeTools("bpftool");
        leaks = BpfLeakCheck.begin("kt_");
    }

    @AfterEach
    void cleanUp() {
        if (leaks != null) {
            leaks.assertNoLeaks();
        }
    }

    @Test
    void createdMapHasTheDefinitionAskedFor() {
        try (BpfMap m = BpfMap.create("kt_made", INNER)) {
            assertEquals(INNER, m.definition());
            assertEquals("kt_made", m.name());
            m.update(new byte[8], u32(5));
            assertEquals(5, u32(m.lookup(new byte[8]).orElseThrow()));
        }
    }

    @Test
    void innerMapsGoInUnderTheirKeyAndComeBackAsTheirIds() {
        try (BpfMap template = BpfMap.create("kt_tmpl", INNER);
             BpfMap outer = BpfMap.create("kt_outer", new MapDefinition(HASH_OF_MAPS, 4, 4, 16, 0), template);
             BpfMap a = BpfMap.create("kt_a", INNER);
             BpfMap b = BpfMap.create("kt_b", new MapDefinition(HASH, 8, 4, 1024, NO_PREALLOC))) {
            assertTrue(outer.isMapOfMaps());
            outer.updateInnerMap(u32(12), a);
            // a hash inner map may differ in capacity, not in type, sizes or flags
            outer.updateInnerMap(u32(13), b);
            assertEquals(Optional.of(a.id()), outer.innerMapId(u32(12)));
            assertEquals(Optional.of(b.id()), outer.innerMapId(u32(13)));
            assertEquals(Optional.empty(), outer.innerMapId(u32(14)));
            try (BpfMap again = BpfMap.fromId(outer.innerMapId(u32(12)).orElseThrow())) {
                again.update(new byte[8], u32(9));
                assertEquals(9, u32(a.lookup(new byte[8]).orElseThrow())); // the same map, not a copy
            }
            assertTrue(outer.delete(u32(12)));
            assertFalse(outer.innerMapId(u32(12)).isPresent());
        }
    }

    @Test
    void anInnerMapOfAnotherShapeIsRefusedWithBothDefinitions() {
        try (BpfMap template = BpfMap.create("kt_tmpl", INNER);
             BpfMap outer = BpfMap.create("kt_outer", new MapDefinition(HASH_OF_MAPS, 4, 4, 16, 0), template);
             BpfMap wrong = BpfMap.create("kt_wrong", new MapDefinition(PERCPU_ARRAY, 4, 16, 128, 0))) {
            BpfException e = assertThrows(BpfException.class, () -> outer.updateInnerMap(u32(1), wrong));
            assertTrue(e.getMessage().contains("percpu_array"), e.getMessage());
            assertTrue(e.getMessage().contains("inner map"), e.getMessage());
            assertFalse(outer.innerMapId(u32(1)).isPresent());
        }
    }

    @Test
    void misuseIsNamed() {
        assertThrows(BpfException.class, () -> BpfMap.create("kt_outer", new MapDefinition(HASH_OF_MAPS, 4, 4, 16, 0)));
        assertThrows(BpfException.class, () -> BpfMap.create("a name too long!", INNER));
        try (BpfMap plain = BpfMap.create("kt_plain", INNER)) {
            BpfException e = assertThrows(BpfException.class, () -> plain.updateInnerMap(new byte[8], plain));
            assertTrue(e.getMessage().contains("does not hold maps"), e.getMessage());
        }
    }

    /** {@link BpfMap#innerFits} says what the kernel takes into a map of maps, for each kind of difference. */
    @Test
    void innerFitsAgreesWithTheKernel() {
        int array = 2;
        int innerMapFlag = 1 << 12;
        MapDefinition arrayInner = new MapDefinition(array, 4, 8, 4, 0);
        MapDefinition flexibleArray = new MapDefinition(array, 4, 8, 4, innerMapFlag);
        java.util.List<MapDefinition[]> cases = java.util.List.of(
                new MapDefinition[] {INNER, new MapDefinition(HASH, 8, 4, 2048, NO_PREALLOC)},  // capacity: fits
                new MapDefinition[] {INNER, new MapDefinition(HASH, 8, 8, 64, NO_PREALLOC)},    // value size
                new MapDefinition[] {INNER, new MapDefinition(HASH, 4, 4, 64, NO_PREALLOC)},    // key size
                new MapDefinition[] {INNER, new MapDefinition(HASH, 8, 4, 64, 0)},              // flags
                new MapDefinition[] {INNER, new MapDefinition(9, 8, 4, 64, 0)},                 // type (LRU hash)
                new MapDefinition[] {arrayInner, new MapDefinition(array, 4, 8, 8, 0)},         // array capacity
                new MapDefinition[] {arrayInner, new MapDefinition(array, 4, 8, 4, 0)},         // same array
                new MapDefinition[] {flexibleArray, new MapDefinition(array, 4, 8, 8, innerMapFlag)}); // BPF_F_INNER_MAP
        for (MapDefinition[] c : cases) {
            boolean kernel;
            try (BpfMap template = BpfMap.create("kt_tmpl", c[0]);
                 BpfMap outer = BpfMap.create("kt_outer", new MapDefinition(HASH_OF_MAPS, 4, 4, 4, 0), template);
                 BpfMap inner = BpfMap.create("kt_inner", c[1])) {
                try {
                    outer.updateInnerMap(u32(1), inner);
                    kernel = true;
                } catch (BpfException e) {
                    assertEquals(Errno.EINVAL, e.errno(), e.getMessage());
                    kernel = false;
                }
            }
            assertEquals(kernel, BpfMap.innerFits(c[1], c[0]), c[1] + " into a map of maps made for " + c[0]);
        }
    }
}
