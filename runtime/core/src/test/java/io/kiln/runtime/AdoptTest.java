package io.kiln.runtime;

import io.kiln.testing.BpfLeakCheck;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A process attaches and exits; this one adopts the endpoint from its pins and state file without
 * touching the hooks, swaps it, and detaches it, leaving bpftool's programs, links and maps as
 * they were before the test.
 */
class AdoptTest {
    private static final int ID = 33;

    @TempDir
    Path state;
    private EndpointLab lab;

    @AfterEach
    void tearDown() {
        if (lab != null) {
            lab.close();
        }
    }

    @ParameterizedTest
    @EnumSource(value = AttachMode.class, names = {"TCX", "LEGACY_TC"})
    void adoptAfterTheAttachingProcessExited(AttachMode mode, @TempDir Path tmp) throws Exception {
        lab = EndpointLab.create(state);
        TestTemplates.gateObject(); // compiled here, so the child finds it in the store
        BpfLeakCheck.Snapshot before = lab.leaks.before();

        Map<String, Integer> childIds = runChild(mode, tmp);
        assertEquals(List.of("ks_ingress", "ks_egress"), List.copyOf(childIds.keySet()));

        EndpointLoader loader = lab.loader(mode);
        try (AttachedEndpoint adopted = loader.adopt(ID)) {
            assertTrue(adopted.isAdopted());
            assertEquals(childIds, adopted.programIds(), "the programs the child attached");
            for (HookStatus s : adopted.status()) {
                assertTrue(s.isIntact(), s.toString());
            }
            assertEquals(TestTemplates.gateObject().variantKey().orElseThrow(), adopted.variantKey().orElseThrow());
            assertEquals(lab.endpoint(ID, TestTemplates.gateConstants(0, 0, ID)).constantsDigest(),
                    adopted.constantsDigest());
            assertEquals(10, lab.udpDelivered(10), "traffic still flows through the adopted programs");

            loader.swap(adopted, TestTemplates.gateObject(), lab.endpoint(ID, TestTemplates.gateConstants(1, 0, ID)));
            assertTrue(adopted.isIntact());
            assertEquals(0, lab.udpDelivered(5), "the adopted endpoint swapped to DROP=1");

            loader.detach(adopted);
        }
        loader.removeNodeMaps();
        assertEquals(List.of(), lab.pins());
        assertFalse(Files.exists(loader.stateFile(ID)));
        assertFalse(lab.tcFilters("ingress").contains("bpf"), lab.tcFilters("ingress"));
        assertFalse(lab.tcFilters("egress").contains("bpf"), lab.tcFilters("egress"));
        assertFalse(lab.qdiscs().contains("clsact"), lab.qdiscs());
        lab.leaks.assertNoLeaks();
        BpfLeakCheck.Snapshot after = BpfLeakCheck.snapshot("ks_");
        assertEquals(before.programs().size(), after.programs().size(), "programs");
        assertEquals(before.maps().size(), after.maps().size(), "maps");
        assertEquals(before.links().size(), after.links().size(), "links");
        System.out.printf("adopt (%s): child attached %s; after detach bpftool shows %d programs, %d maps, %d links "
                        + "named ks_* (as before)%n", mode, childIds, after.programs().size(), after.maps().size(),
                after.links().size());
    }

    private Map<String, Integer> runChild(AttachMode mode, Path tmp) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Path output = tmp.resolve("child.out");
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                AttachChildMain.class.getName(), lab.pinRoot.toString(), state.toString(), lab.ep.name(),
                Integer.toString(ID), mode.name()).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            assertTrue(child.waitFor(Duration.ofSeconds(120).toSeconds(), TimeUnit.SECONDS), "child finished");
        } finally {
            child.destroyForcibly();
        }
        String out = Files.readString(output, StandardCharsets.UTF_8);
        assertEquals(0, child.exitValue(), "child output:\n" + out);
        Map<String, Integer> ids = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            if (line.startsWith("ids ")) {
                for (String pair : line.substring(4).trim().split(" ")) {
                    String[] kv = pair.split("=");
                    ids.put(kv[0], Integer.parseInt(kv[1]));
                }
            }
        }
        assertFalse(ids.isEmpty(), "child output:\n" + out);
        assertFalse(ProcessHandle.of(child.pid()).map(ProcessHandle::isAlive).orElse(false), "the child is gone");
        return ids;
    }
}
