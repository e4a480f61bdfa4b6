package io.kiln.runtime;

import io.kiln.cache.CacheStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A constant-only change swaps behaviour on a live interface from the same object: no clang. */
class ConstantSwapTest {
    private EndpointLab lab;

    @AfterEach
    void tearDown() {
        if (lab != null) {
            lab.close();
        }
    }

    @ParameterizedTest
    @EnumSource(value = AttachMode.class, names = {"TCX", "LEGACY_TC"})
    void constantOnlySwapDropsWithoutCompiling(AttachMode mode, @TempDir Path state) {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(mode);
        TemplateObject passing = TestTemplates.gateObject();
        Endpoint endpoint = lab.endpoint(7, TestTemplates.gateConstants(0, 0, 7));
        AttachedEndpoint attached = lab.closeLater(loader.attach(passing, endpoint));
        assertEquals(10, lab.udpDelivered(10), "DROP=0 passes UDP through the veth");

        CacheStats before = TestTemplates.cache().stats();
        TemplateObject again = TestTemplates.gateObject();
        CacheStats after = TestTemplates.cache().stats();
        assertEquals(before.clangRuns(), after.clangRuns(), "no clang run for a constant-only change");
        assertTrue(Arrays.equals(passing.bytes(), again.bytes()), "the very same object bytes");

        int before1 = attached.programIds().get("ks_ingress");
        loader.swap(attached, again, endpoint.withConstants(TestTemplates.gateConstants(1, 0, 7)));
        int after1 = attached.programIds().get("ks_ingress");
        assertNotEquals(before1, after1, "a new program runs");
        assertTrue(attached.isIntact(), attached.status().toString());
        assertEquals(0, lab.udpDelivered(10), "DROP=1 drops them, same object");

        loader.swap(attached, again, endpoint.withConstants(TestTemplates.gateConstants(0, 1, 7)));
        assertEquals(10, lab.udpDelivered(10), "and back");
        assertEquals(before.clangRuns(), TestTemplates.cache().stats().clangRuns(), "still no clang run");
        loader.detach(attached);
        assertEquals(java.util.List.of("node/ks_node_stats"), lab.pins(), "only the node map stays");
    }
}
