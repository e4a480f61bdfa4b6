package io.kiln.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.template.Parameters;
import io.kiln.template.TemplateDescriptor;
import io.kiln.template.Templates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The object of every variant against the programs and maps its descriptor declares, with the real clang. */
class ContractCheckTest {
    @TempDir
    Path dir;

    private static final String MAP_V4 = """
            struct {
                __uint(type, BPF_MAP_TYPE_LRU_HASH);
                __uint(max_entries, 64);
                __type(key, __u32);
                __type(value, __u64);
            } syn_counts SEC(".maps");
            """;

    private static final String MAP_V6_ONLY = """
            <#if ipv6>
            struct {
                __uint(type, BPF_MAP_TYPE_LRU_HASH);
                __uint(max_entries, 64);
                __type(key, __u32[4]);
                __type(value, __u64);
            } syn_counts6 SEC(".maps");
            </#if>
            """;

    private VariantBuilder builder() {
        return VariantBuilder.defaults(dir.resolve("store")).storeBytes(64L << 20).build();
    }

    private TemplateDescriptor template(String descriptorTail, String cDeclarations, String section)
            throws Exception {
        Path t = Files.createDirectories(dir.resolve("guard"));
        Files.writeString(t.resolve("guard.template.yaml"), """
                name: guard
                programs:
                  guard_in: { hook: tc-ingress }
                build:
                  ipv6: { type: bool, default: false }
                """ + descriptorTail);
        Files.writeString(t.resolve("guard.bpf.c.ftl"), """
                #include <linux/bpf.h>
                #include <bpf/bpf_helpers.h>
                %s
                SEC("%s")
                int guard_in(struct __sk_buff *skb)
                {
                    return skb->len > 0 ? 0 : 2;
                }
                char LICENSE[] SEC("license") = "GPL";
                """.formatted(cDeclarations, section));
        return Templates.load(t);
    }

    @Test
    void everyDeclaredMapInEveryVariantBuilds() throws Exception {
        TemplateDescriptor t = template("maps:\n  syn_counts: { scope: endpoint }\n", MAP_V4, "tc");
        builder().build(t, Parameters.resolve(t, Map.of("ipv6", "false")));
        builder().build(t, Parameters.resolve(t, Map.of("ipv6", "true")));
    }

    @Test
    void aDeclaredMapMissingFromOneVariantIsNamedWithTheVariantAndTheLine() throws Exception {
        TemplateDescriptor t = template("maps:\n  syn_counts: { scope: endpoint }\n  syn_counts6: { scope: endpoint }\n",
                MAP_V4 + MAP_V6_ONLY, "tc");
        builder().build(t, Parameters.resolve(t, Map.of("ipv6", "true")));
        ContractMismatchException e = assertThrows(ContractMismatchException.class,
                () -> builder().build(t, Parameters.resolve(t, Map.of("ipv6", "false"))));
        String m = e.getMessage();
        assertTrue(m.startsWith("template guard: variant guard(ipv6=false): the object does not match "
                + t.descriptorFile() + ":"), m);
        assertTrue(m.contains("line 8: map syn_counts6 (scope endpoint) is declared but the object has no such map"
                + " in SEC(\".maps\"); it has: syn_counts."), m);
        assertEquals(1, e.mismatches().size());
        assertEquals(new ContractMismatchException.Mismatch(8, "maps.syn_counts6", e.mismatches().get(0).message()),
                e.mismatches().get(0));
        assertEquals(t.descriptorFile(), e.descriptorFile());
        assertTrue(e.isUserError());
    }

    @Test
    void aMapInTheObjectButNotDeclaredIsAnError() throws Exception {
        TemplateDescriptor t = template("", MAP_V4, "tc");
        ContractMismatchException e = assertThrows(ContractMismatchException.class,
                () -> builder().build(t, Parameters.resolve(t, Map.of())));
        assertTrue(e.getMessage().contains("map syn_counts (lru_hash, 64 entries) is in the object but not declared"
                + " under maps: in the descriptor"), e.getMessage());
        assertEquals("", e.mismatches().get(0).field());
        assertEquals(0, e.mismatches().get(0).line());
    }

    @Test
    void internalMapsOfGlobalVariablesNeedNoDeclaration() throws Exception {
        TemplateDescriptor t = template("", """
                __u64 packets;                       /* .bss */
                __u32 seed = 7;                      /* .data */
                const volatile __u32 other SEC(".rodata.extra") = 1;
                """, "tc");
        BuiltVariant v = builder().build(t, Parameters.resolve(t, Map.of()));
        assertTrue(v.info().maps().isEmpty());
    }

    @Test
    void aDeclaredProgramMissingAndAnUndeclaredOneAreBothNamed() throws Exception {
        Path t = Files.createDirectories(dir.resolve("two"));
        Files.writeString(t.resolve("two.template.yaml"), """
                name: two
                programs:
                  first: { hook: tc-ingress }
                  second: { hook: tc-egress }
                """);
        Files.writeString(t.resolve("two.bpf.c.ftl"), """
                #include <linux/bpf.h>
                #include <bpf/bpf_helpers.h>
                SEC("tc") int first(struct __sk_buff *skb) { return 0; }
                SEC("tc") int third(struct __sk_buff *skb) { return 0; }
                char LICENSE[] SEC("license") = "GPL";
                """);
        TemplateDescriptor d = Templates.load(t);
        ContractMismatchException e = assertThrows(ContractMismatchException.class,
                () -> builder().build(d, Parameters.resolve(d, Map.of())));
        assertEquals(2, e.mismatches().size(), e.getMessage());
        assertTrue(e.getMessage().contains("line 4: program second (hook tc-egress) is declared but the object has no"
                + " such program; it has: first, third."), e.getMessage());
        assertTrue(e.getMessage().contains("program third (SEC(\"tc\")) is in the object but not declared"),
                e.getMessage());
    }

    @Test
    void aProgramInTheWrongSectionForItsHookIsNamed() throws Exception {
        TemplateDescriptor t = template("", "", "xdp");
        ContractMismatchException e = assertThrows(ContractMismatchException.class,
                () -> builder().build(t, Parameters.resolve(t, Map.of())));
        assertTrue(e.getMessage().contains("line 3: program guard_in is declared with hook tc-ingress but is in"
                + " section SEC(\"xdp\"); expected SEC(\"tc\")"), e.getMessage());
    }
}
