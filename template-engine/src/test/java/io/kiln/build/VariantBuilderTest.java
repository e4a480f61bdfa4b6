package io.kiln.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.cache.CacheOutcome;
import io.kiln.template.Parameters;
import io.kiln.template.TemplateDescriptor;
import io.kiln.template.Templates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Render, compile and check against the descriptor, with the real clang. */
class VariantBuilderTest {
    @TempDir
    Path dir;

    private VariantBuilder builder() {
        return VariantBuilder.defaults(dir.resolve("store")).storeBytes(64L << 20).build();
    }

    private TemplateDescriptor template(String constantsYaml, String cDeclarations) throws Exception {
        Path t = Files.createDirectories(dir.resolve("t"));
        Files.writeString(t.resolve("t.template.yaml"),
                "name: t\nprograms:\n  prog: { hook: tc-ingress }\nconstants:\n" + constantsYaml);
        Files.writeString(t.resolve("t.bpf.c.ftl"), """
                #include <linux/bpf.h>
                #include <bpf/bpf_helpers.h>
                %s
                SEC("tc")
                int prog(struct __sk_buff *skb)
                {
                    return skb->len > 0 ? 0 : 2;
                }
                char LICENSE[] SEC("license") = "GPL";
                """.formatted(cDeclarations));
        return Templates.load(t);
    }

    @Test
    void defaultsShareOneClangTimeoutAndStoreSize() {
        VariantBuilder b = VariantBuilder.defaults(dir.resolve("store")).build();
        assertEquals(VariantBuilder.DEFAULT_CLANG_TIMEOUT, b.cache().compiler().timeout());
        assertEquals(VariantBuilder.DEFAULT_STORE_BYTES, b.cache().store().maxBytes());
        assertEquals(java.time.Duration.ofSeconds(7),
                VariantBuilder.defaults(dir).clangTimeout(java.time.Duration.ofSeconds(7)).compiler().timeout());
    }

    @Test
    void matchingConstantsBuildAndHitTheCacheTheSecondTime() throws Exception {
        TemplateDescriptor t = template("  ID: { type: u16 }\n  MAC: { type: mac }\n",
                "volatile const __u16 ID = 0;\nvolatile const __u8 MAC[6] = {};\n");
        VariantBuilder b = builder();
        BuiltVariant first = b.build(t, Parameters.resolve(t, Map.of()));
        BuiltVariant second = b.build(t, Parameters.resolve(t, Map.of()));
        assertEquals(CacheOutcome.MISS, first.result().outcome());
        assertEquals(CacheOutcome.MEMORY, second.result().outcome());
        assertEquals(2, first.info().constants().size());
        assertEquals("t()", first.displayName());
    }

    @Test
    void declaredConstantMissingFromTheObjectIsNamed() throws Exception {
        TemplateDescriptor t = template("  ID: { type: u16 }\n  IDENTITY: { type: u32 }\n",
                "volatile const __u16 ID = 0;\n");
        ConstantMismatchException e = assertThrows(ConstantMismatchException.class,
                () -> builder().build(t, Parameters.resolve(t, Map.of())));
        assertTrue(e.getMessage().contains("constant IDENTITY (u32) is declared but the object has no such"),
                e.getMessage());
        assertTrue(e.getMessage().contains("t.template.yaml"), e.getMessage());
        assertTrue(e.isUserError());
    }

    @Test
    void wrongSizeIsNamedWithBothTypes() throws Exception {
        TemplateDescriptor t = template("  ID: { type: u16 }\n", "volatile const __u32 ID = 0;\n");
        ConstantMismatchException e = assertThrows(ConstantMismatchException.class,
                () -> builder().build(t, Parameters.resolve(t, Map.of())));
        assertTrue(e.getMessage().contains("constant ID: the object's variable is volatile const __u32 (4 bytes)"
                + " but the template declares u16 (2 bytes)"), e.getMessage());
    }

    @Test
    void signedVariableForAnUnsignedDeclarationIsRefusedAtBuildTimeAsAtLoadTime() throws Exception {
        TemplateDescriptor t = template("  ID: { type: u32 }\n", "volatile const __s32 ID = 0;\n");
        ConstantMismatchException e = assertThrows(ConstantMismatchException.class,
                () -> builder().build(t, Parameters.resolve(t, Map.of())));
        assertTrue(e.getMessage().contains("constant ID: the object's variable is signed (volatile const __s32)"
                + " but the template declares u32; declare it with an unsigned type in C"), e.getMessage());
    }

    @Test
    void undeclaredRodataVariableIsRefused() throws Exception {
        TemplateDescriptor t = template("  ID: { type: u16 }\n",
                "volatile const __u16 ID = 0;\nvolatile const __u32 SNEAKY = 0;\n");
        ConstantMismatchException e = assertThrows(ConstantMismatchException.class,
                () -> builder().build(t, Parameters.resolve(t, Map.of())));
        assertTrue(e.getMessage().contains("'volatile const __u32 SNEAKY' (4 bytes) is not declared under 'constants:'"),
                e.getMessage());
    }
}
