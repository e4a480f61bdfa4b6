package io.kiln.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.compile.CompileException;
import io.kiln.template.CompileOptions;
import io.kiln.template.Parameters;
import io.kiln.template.TemplateDescriptor;
import io.kiln.template.Templates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The descriptor's compile: section reaches clang and the variant key, with the real clang. */
class CompileOptionsTest {
    @TempDir
    Path dir;

    /** A 32-bit atomic add whose old value is used: BPF needs -mcpu=v3 for it (BPF_FETCH). */
    static final String ATOMIC = """
            #include <linux/bpf.h>
            #include <bpf/bpf_helpers.h>

            struct {
                __uint(type, BPF_MAP_TYPE_ARRAY);
                __uint(max_entries, 1);
                __type(key, __u32);
                __type(value, __u32);
            } budget SEC(".maps");

            SEC("tc")
            int guard_in(struct __sk_buff *skb)
            {
                __u32 k = 0;
                __u32 *left = bpf_map_lookup_elem(&budget, &k);
                if (!left)
                    return 0;
                __u32 seen = __sync_fetch_and_add(left, 1);
                return seen > LIMIT ? 2 : 0;
            }

            char LICENSE[] SEC("license") = "GPL";
            """;

    private VariantBuilder builder() {
        return VariantBuilder.defaults(dir.resolve("store")).storeBytes(64L << 20).build();
    }

    private TemplateDescriptor guard(String compileSection) throws Exception {
        Path t = Files.createDirectories(dir.resolve("guard"));
        Files.writeString(t.resolve("guard.template.yaml"), """
                name: guard
                programs:
                  guard_in: { hook: tc-ingress }
                maps:
                  budget: { scope: endpoint }
                """ + compileSection);
        Files.writeString(t.resolve("guard.bpf.c.ftl"), ATOMIC);
        return Templates.load(t);
    }

    @Test
    void theDescriptorsCompileSectionIsRead() throws Exception {
        TemplateDescriptor t = guard("compile:\n  cpu: v3\n  flags: [-DLIMIT=5, -Wno-unused-function, -Werror=shadow,"
                + " -std=gnu11, -fno-unroll-loops, -UNDEBUG]\n");
        assertEquals(new CompileOptions(Optional.of("v3"), List.of("-DLIMIT=5", "-Wno-unused-function", "-Werror=shadow",
                "-std=gnu11", "-fno-unroll-loops", "-UNDEBUG")), t.compile());
        assertEquals(CompileOptions.DEFAULT, guard("").compile());
    }

    @Test
    void anAtomicAddWhoseResultIsUsedCompilesWithCpuV3() throws Exception {
        TemplateDescriptor t = guard("compile: { cpu: v3, flags: [-DLIMIT=5] }\n");
        VariantBuilder b = builder();
        b.build(t, Parameters.resolve(t, Map.of()));
        List<String> command = b.cache().compiler().invocation(b.renderer().render(t, Parameters.resolve(t, Map.of())))
                .keyFlags();
        int target = command.indexOf("-fno-color-diagnostics");
        assertEquals(List.of("-mcpu=v3", "-DLIMIT=5"), command.subList(target + 1, target + 3), command.toString());
    }

    @Test
    void withoutCpuV3TheBackendCrashIsOneDiagnosticAtTheTemplateLine() throws Exception {
        TemplateDescriptor t = guard("compile: { flags: [-DLIMIT=5] }\n");
        CompileException e = assertThrows(CompileException.class, () -> builder().build(t, Parameters.resolve(t, Map.of())));
        String m = e.getMessage();
        assertTrue(m.startsWith("template guard: clang failed (exit 1):\n  " + t.templateFile() + ":18:1: fatal error:"
                + " error in backend (LLVM crashed compiling guard_in): Invalid usage of the XADD return value\n"
                + "      __u32 seen = __sync_fetch_and_add(left, 1);\n"
                + "  hint: an atomic operation whose result is used needs BPF CPU v3 or later"), m);
        assertEquals(1, e.diagnostics().size());
        assertEquals(18, e.diagnostics().get(0).line());
        assertFalse(m.contains(" 0x"), "no stack frames: " + m);
        assertTrue(m.lines().count() < 12, m);
    }

    @Test
    void cpuAndFlagsArePartOfTheVariantKey() throws Exception {
        VariantBuilder b = builder();
        TemplateDescriptor v3 = guard("compile: { cpu: v3, flags: [-DLIMIT=5] }\n");
        var k1 = b.build(v3, Parameters.resolve(v3, Map.of())).result().object().key();
        TemplateDescriptor v3limit6 = guard("compile: { cpu: v3, flags: [-DLIMIT=6] }\n");
        var k2 = b.build(v3limit6, Parameters.resolve(v3limit6, Map.of())).result().object().key();
        TemplateDescriptor v4 = guard("compile: { cpu: v3, flags: [-DLIMIT=5, -Wno-unused-function] }\n");
        var k3 = b.build(v4, Parameters.resolve(v4, Map.of())).result().object().key();
        assertNotEquals(k1, k2);
        assertNotEquals(k1, k3);
        assertEquals(k1, b.build(v3, Parameters.resolve(v3, Map.of())).result().object().key());
    }
}
