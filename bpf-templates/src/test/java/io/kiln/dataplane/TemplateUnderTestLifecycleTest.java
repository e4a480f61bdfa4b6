package io.kiln.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.cache.CacheOutcome;
import io.kiln.testing.BpfLeakCheck;
import io.kiln.lab.Command;
import io.kiln.testing.TemplateUnderTest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** TemplateUnderTest frees what it loads, isolates instances, and compiles a variant once per JVM. */
class TemplateUnderTestLifecycleTest {
    @Test
    void closeFreesEveryProgramAndMap() {
        BpfLeakCheck leaks = BpfLeakCheck.begin("klifecyc");
        List<Integer> programs;
        List<Integer> maps;
        try (TemplateUnderTest t = Fixture.endpoint().objectName("klifecycle").load()) {
            programs = t.programIds();
            maps = t.mapIds();
            assertEquals(2, programs.size());
            assertEquals(t.template().maps().size() + 1, maps.size(), "the descriptor's maps and .rodata");
        }
        leaks.assertNoLeaks();
        long deadline = System.nanoTime() + BpfLeakCheck.SETTLE.toNanos();
        List<String> alive;
        do {
            alive = new ArrayList<>();
            for (int id : programs) {
                if (Command.run(List.of("bpftool", "prog", "show", "id", String.valueOf(id))).exitCode() == 0) {
                    alive.add("program " + id);
                }
            }
            for (int id : maps) {
                if (Command.run(List.of("bpftool", "map", "show", "id", String.valueOf(id))).exitCode() == 0) {
                    alive.add("map " + id);
                }
            }
        } while (!alive.isEmpty() && System.nanoTime() < deadline);
        assertTrue(alive.isEmpty(), "still in the kernel after close: " + alive);
    }

    @Test
    void instancesHaveTheirOwnMapsAndShareTheCompiledObject() {
        try (TemplateUnderTest a = Fixture.load(); TemplateUnderTest b = Fixture.load()) {
            a.map("policy").put(EndpointMaps.policyKey(1, 2, 6, 0), EndpointMaps.policyValue(EndpointMaps.ALLOW));
            assertEquals(1, a.map("policy").size());
            assertEquals(0, b.map("policy").size());
            assertFalse(a.mapIds().stream().anyMatch(b.mapIds()::contains));
            assertTrue(b.variant().result().outcome() == CacheOutcome.MEMORY, "the second load hits the shared cache");
        }
    }
}
