package io.kiln.runtime;

import io.kiln.cache.ObjectCache;
import io.kiln.cache.ObjectStore;
import io.kiln.compile.Clang;
import io.kiln.compile.ClangCompiler;
import io.kiln.template.BuildParameters;
import io.kiln.template.ConstantDecl;
import io.kiln.template.ConstantType;
import io.kiln.template.Hook;
import io.kiln.template.MapDecl;
import io.kiln.template.MapScope;
import io.kiln.template.ProgramDecl;
import io.kiln.template.RenderedSource;
import io.kiln.template.TemplateDescriptor;
import io.kiln.testing.KernelRequirements;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The test template {@code ks_gate} (src/test/resources/runtime), compiled by the real template
 * engine: an {@link ObjectCache} over a store in target/, with clang. Its descriptor is built here as
 * the engine would read it.
 */
final class TestTemplates {
    static final String GATE = "ks_gate";
    private static ObjectCache cache;

    private TestTemplates() {
    }

    /** One cache per test JVM, so tests can check that a constant-only change runs no clang. */
    static synchronized ObjectCache cache() {
        if (cache == null) {
            KernelRequirements.assumeTools("clang");
            Path store = resources().getParent().getParent().resolve("kiln-test-store");
            cache = new ObjectCache(new ClangCompiler(Clang.locate(null), Duration.ofSeconds(120)),
                    new ObjectStore(store, 64L << 20));
        }
        return cache;
    }

    /** ks_gate: ks_ingress on tc-ingress, ks_egress on tc-egress; ks_counters per endpoint, ks_node_stats per node. */
    static TemplateDescriptor gate() {
        return descriptor(GATE, List.of(new ProgramDecl("ks_ingress", Hook.TC_INGRESS),
                new ProgramDecl("ks_egress", Hook.TC_EGRESS)));
    }

    static TemplateDescriptor descriptor(String name, List<ProgramDecl> programs) {
        return descriptor(name, programs, List.of(
                new ConstantDecl("DROP", ConstantType.U32, "drop IPv4 from the endpoint"),
                new ConstantDecl("SLOT", ConstantType.U32, "counter slot"),
                new ConstantDecl("ENDPOINT_ID", ConstantType.U16, "endpoint id"),
                new ConstantDecl("UNSAFE", ConstantType.U32, "unchecked packet read")));
    }

    static TemplateDescriptor descriptor(String name, List<ProgramDecl> programs, List<ConstantDecl> constants) {
        Path root = resources();
        return new TemplateDescriptor(name, root, root.resolve(name + ".template.yaml"), root.resolve(name + ".bpf.c.ftl"),
                List.of(root), programs, List.of(), constants,
                List.of(new MapDecl("ks_counters", MapScope.ENDPOINT, true),
                        new MapDecl("ks_node_stats", MapScope.NODE, true)));
    }

    /** The object of {@code template} built from the C file {@code file} (e.g. ks_gate.bpf.c), through the cache. */
    static TemplateObject object(TemplateDescriptor template, String file) {
        return TemplateObject.of(template, cache().get(source(template, file)).object());
    }

    static TemplateObject gateObject() {
        return object(gate(), "ks_gate.bpf.c");
    }

    static RenderedSource source(TemplateDescriptor template, String file) {
        try {
            String text = Files.readString(resources().resolve(file), StandardCharsets.UTF_8);
            return new RenderedSource(template, BuildParameters.of(Map.of()), file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path resources() {
        URL url = TestTemplates.class.getResource("/runtime/ks_gate.bpf.c");
        try {
            return Path.of(url.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] u32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(v).array();
    }

    static byte[] u16(int v) {
        return ByteBuffer.allocate(2).order(ByteOrder.nativeOrder()).putShort((short) v).array();
    }

    static byte[] u64(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(v).array();
    }

    static long u64(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.nativeOrder()).getLong();
    }

    /** Constants of the gate: DROP, SLOT and ENDPOINT_ID as given, UNSAFE 0. */
    static Map<String, byte[]> gateConstants(int drop, int slot, int endpointId) {
        return Map.of("DROP", u32(drop), "SLOT", u32(slot), "ENDPOINT_ID", u16(endpointId), "UNSAFE", u32(0));
    }
}
