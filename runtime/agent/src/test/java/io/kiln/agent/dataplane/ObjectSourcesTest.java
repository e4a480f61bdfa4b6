package io.kiln.agent.dataplane;

import io.kiln.KilnException;
import io.kiln.build.VariantBuilder;
import io.kiln.cache.ObjectCache;
import io.kiln.cache.ObjectStore;
import io.kiln.compile.Clang;
import io.kiln.compile.ClangCompiler;
import io.kiln.runtime.TemplateObject;
import io.kiln.template.BuildParameters;
import io.kiln.template.Parameters;
import io.kiln.template.Renderer;
import io.kiln.template.TemplateDescriptor;
import io.kiln.template.Templates;
import io.kiln.testing.KernelRequirements;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where objects come from: bundles first, the store without clang, clang last; what a node without clang can run. */
class ObjectSourcesTest {

    private static TemplateDescriptor copyOfHello(Path dir) throws Exception {
        Path src = Path.of(System.getProperty("kiln.home", ".."), "examples", "templates", "hello");
        Path copy = dir.resolve("hello");
        try (var files = Files.walk(src)) {
            for (Path f : files.toList()) {
                Path to = copy.resolve(src.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(f, to);
                }
            }
        }
        return Templates.load(copy);
    }

    @Test
    void aNodeWithoutClangRunsWhatTheStoreHoldsAndSaysWhatIsMissing(@TempDir Path tmp) throws Exception {
        KernelRequirements.assumeTools("clang");
        TemplateDescriptor hello = copyOfHello(tmp);
        ObjectStore store = new ObjectStore(tmp.resolve("store"), 64L << 20);
        ObjectCache cache = new ObjectCache(new ClangCompiler(Clang.locate(null), Duration.ofSeconds(120)), store);
        ObjectSources withClang = ObjectSources.builder().compiler(new VariantBuilder(new Renderer(), cache)).build();
        BuildParameters defaults = Parameters.resolve(hello, Map.of());
        TemplateObject compiled = withClang.get(hello, defaults);
        assertEquals(1, withClang.clangRuns());
        assertEquals(1, withClang.misses());

        ObjectSources noClang = ObjectSources.builder().store(new ObjectStore(store.dir(), 64L << 20)).build();
        TemplateObject fromStore = noClang.get(hello, defaults);
        assertArrayEquals(compiled.bytes(), fromStore.bytes());
        assertEquals(compiled.variantKey(), fromStore.variantKey());
        assertEquals(1, noClang.hits());
        assertEquals(0, noClang.clangRuns());

        BuildParameters other = Parameters.resolve(hello, Map.of("dropEnabled", false));
        KilnException missing = assertThrows(KilnException.class, () -> noClang.get(hello, other));
        assertTrue(missing.getMessage().startsWith("template hello variant (") && missing.getMessage().contains("dropEnabled=false"), missing.getMessage());
        assertTrue(missing.getMessage().contains("no clang on this node"), missing.getMessage());

        Path header = hello.root().resolve("include/hello.h");
        Files.writeString(header, Files.readString(header) + "\n/* changed */\n");
        assertThrows(KilnException.class, () -> noClang.get(hello, defaults), "a changed header is not the stored object");
    }

    @Test
    void bundlesAreAskedFirst(@TempDir Path tmp) throws Exception {
        TemplateDescriptor hello = copyOfHello(tmp);
        byte[] elf = {0x7f, 'E', 'L', 'F'};
        ObjectSource bundle = new ObjectSource() {
            @Override
            public Optional<TemplateObject> find(TemplateDescriptor t, BuildParameters b) {
                return Optional.of(TemplateObject.of(t, "ab".repeat(32), elf));
            }

            @Override
            public String name() {
                return "test bundle";
            }
        };
        ObjectSources sources = ObjectSources.builder().bundles(bundle).build();
        TemplateObject o = sources.get(hello, Parameters.resolve(hello, Map.of()));
        assertArrayEquals(elf, o.bytes());
        assertEquals(1, sources.hits());
        assertEquals("test bundle", sources.describe().get(0));
    }
}
