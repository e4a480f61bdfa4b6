package io.kiln.bpf.internal;

import io.kiln.lab.Command;
import io.kiln.testing.KernelRequirements;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JNA structs against the C compiler's view of the system headers: every size and offset a C
 * program reports must be what JNA computes. Catches a wrong {@code sz} before libbpf rejects it.
 */
class StructLayoutTest {
    private static final Map<String, Structs.CStruct> STRUCTS = Map.ofEntries(
            Map.entry("bpf_object_open_opts", new Structs.ObjectOpenOpts()),
            Map.entry("bpf_link_create_opts", new Structs.LinkCreateOpts()),
            Map.entry("bpf_link_update_opts", new Structs.LinkUpdateOpts()),
            Map.entry("bpf_map_create_opts", new Structs.MapCreateOpts()),
            Map.entry("bpf_test_run_opts", new Structs.TestRunOpts()),
            Map.entry("bpf_tc_hook", new Structs.TcHook()),
            Map.entry("bpf_tc_opts", new Structs.TcOpts()),
            Map.entry("bpf_prog_load_opts", new Structs.ProgLoadOpts()),
            Map.entry("bpf_map_info", new Structs.MapInfo()),
            Map.entry("bpf_prog_info", new Structs.ProgInfo()),
            Map.entry("bpf_link_info", new Structs.LinkInfo()));

    @Test
    void javaLayoutsMatchTheHeaders() throws Exception {
        KernelRequirements.assumeTools("clang");
        Path source = Path.of(getClass().getResource("/layout/structs.c").toURI());
        Path binary = source.resolveSibling("structs");
        Command.run(List.of("clang", "-O0", "-o", binary.toString(), source.toString())).orThrow();
        String out = Command.run(List.of(binary.toString())).orThrow().stdout();
        Files.deleteIfExists(binary);

        List<String> mismatches = new ArrayList<>();
        int checked = 0;
        for (String line : out.split("\n")) {
            String[] f = line.trim().split(" ");
            Structs.CStruct s = STRUCTS.get(f[0]);
            long c = Long.parseLong(f[2]);
            long java = f[1].equals("sizeof") ? s.size() : s.offsetOf(f[1]);
            if (java != c) {
                mismatches.add(f[0] + "." + f[1] + ": C " + c + ", Java " + java);
            }
            checked++;
        }
        assertTrue(checked > 70, "the C program printed " + checked + " lines");
        assertEquals(List.of(), mismatches);
    }

    @Test
    void optsCarryTheirOwnSize() {
        List<Structs.CStruct> opts = List.of(new Structs.ObjectOpenOpts(), new Structs.LinkCreateOpts(),
                new Structs.LinkUpdateOpts(), new Structs.TestRunOpts(), new Structs.TcHook(), new Structs.TcOpts(),
                new Structs.ProgLoadOpts(), new Structs.MapCreateOpts());
        for (Structs.CStruct s : opts) {
            s.write(); // what JNA passes to C: sz in native memory
            assertEquals((long) s.size(), ((Number) s.readField("sz")).longValue(), s.getClass().getSimpleName());
        }
    }
}
