package io.kiln.testing;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.build.ContractMismatchException;
import io.kiln.build.VariantBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A variant whose object does not hold what its descriptor declares fails in the test that builds it. */
class ContractCheckThroughTestingApiTest {
    @TempDir
    Path dir;

    private Path template() throws Exception {
        Path t = Files.createDirectories(dir.resolve("guard"));
        Files.writeString(t.resolve("guard.template.yaml"), """
                name: guard
                programs:
                  prog: { hook: tc-ingress }
                build:
                  ipv6: { type: bool, default: false }
                """);
        Files.writeString(t.resolve("guard.bpf.c.ftl"), """
                #include <linux/bpf.h>
                #include <bpf/bpf_helpers.h>
                <#if ipv6>
                struct {
                    __uint(type, BPF_MAP_TYPE_HASH);
                    __uint(max_entries, 8);
                    __type(key, __u32);
                    __type(value, __u64);
                } undeclared6 SEC(".maps");
                </#if>
                SEC("tc")
                int prog(struct __sk_buff *skb) { return 0; }
                char LICENSE[] SEC("license") = "GPL";
                """);
        return t;
    }

    private VariantBuilder variants() {
        return VariantBuilder.defaults(dir.resolve("store")).storeBytes(64L << 20).build();
    }

    @Test
    void anUndeclaredMapFailsTheBuildOfThatVariantOnly() throws Exception {
        Path t = template();
        TemplateUnderTest.of(t).variants(variants()).build();
        ContractMismatchException e = assertThrows(ContractMismatchException.class,
                () -> TemplateUnderTest.of(t).variants(variants()).parameter("ipv6", true).build());
        assertTrue(e.getMessage().contains("variant guard(ipv6=true)"), e.getMessage());
        assertTrue(e.getMessage().contains("map undeclared6 (hash, 8 entries) is in the object but not declared"),
                e.getMessage());
    }

    @Test
    void loadFailsBeforeTheKernelSeesTheObject() throws Exception {
        Path t = template();
        assertThrows(ContractMismatchException.class,
                () -> TemplateUnderTest.of(t).variants(variants()).parameter("ipv6", true).load());
    }
}
