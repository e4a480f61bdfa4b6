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
    void theSameVariantComesFromTheMemoUntilAFileItWasMadeFromChanges(@TempDir Path tmp) throws Exception {
        KernelRequirements.assumeTools("clang");
        TemplateDescriptor hello = copyOfHello(tmp);
        age(hello.root());
        ObjectStore store = new ObjectStore(tmp.resolve("store"), 64L << 20);
        ObjectCache cache = new ObjectCache(new ClangCompiler(Clang.locate(null), Duration.ofSeconds(120)), store);
        ObjectSources sources = ObjectSources.builder().compiler(new VariantBuilder(new Renderer(), cache)).build();
        BuildParameters defaults = Parameters.resolve(hello, Map.of());
        TemplateObject first = sources.get(hello, defaults);
        TemplateObject again = sources.get(hello, defaults);
        assertEquals(1, sources.memoHits());
        assertTrue(first == again, "the memo hands out the object it kept");
        sources.get(hello, Parameters.resolve(hello, Map.of("dropEnabled", false)));
        assertEquals(1, sources.memoHits(), "other build parameters are another variant");

        Path header = hello.root().resolve("include/hello.h");
        Files.writeString(header, Files.readString(header) + "\n#define KILN_MEMO_TEST 1\n");
        age(hello.root());
        TemplateObject afterHeader = sources.get(hello, defaults);
        assertEquals(1, sources.memoHits(), "a header changed: rendered and keyed again");
        assertTrue(afterHeader == sources.get(hello, defaults));
        assertEquals(2, sources.memoHits());

        Path added = hello.root().resolve("include/extra.h");
        Files.writeString(added, "/* new */\n");
        sources.get(hello, defaults);
        assertEquals(2, sources.memoHits(), "a file added to the template's folders, and too fresh to trust");
    }

    /** Moves every file's time an hour back, out of the stamp's race window. */
    private static void age(Path root) throws Exception {
        java.nio.file.attribute.FileTime old = java.nio.file.attribute.FileTime.from(
                java.time.Instant.now().minusSeconds(3600));
        try (var all = Files.walk(root)) {
            for (Path p : all.toList()) {
                Files.setLastModifiedTime(p, old);
            }
        }
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

    /**
     * The attack of issue 10: someone who can write the store puts the dropEnabled=false object (and a
     * matching .sha256) where the dropEnabled=true one was. Digests alone accept it; ownership does not.
     */
    @Test
    void aStoreSomeoneElseCanWriteIsRefused(@TempDir Path tmp) throws Exception {
        KernelRequirements.assumeTools("clang");
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "giving a file to another user (uid 65534) needs root");
        TemplateDescriptor hello = copyOfHello(tmp);
        Path dir = tmp.resolve("store");
        ObjectCache cache = new ObjectCache(new ClangCompiler(Clang.locate(null), Duration.ofSeconds(120)),
                new ObjectStore(dir, 64L << 20));
        ObjectSources withClang = ObjectSources.builder().compiler(new VariantBuilder(new Renderer(), cache)).build();
        BuildParameters dropOn = Parameters.resolve(hello, Map.of("dropEnabled", true));
        TemplateObject on = withClang.get(hello, dropOn);
        TemplateObject off = withClang.get(hello, Parameters.resolve(hello, Map.of("dropEnabled", false)));
        Path onFile = cache.store().objectFile(io.kiln.cache.VariantKey.of(on.variantKey().orElseThrow()));
        Path onDigest = onFile.resolveSibling(onFile.getFileName() + ".sha256");

        // the store as it is: the agent (same user, no one else can write) uses it
        ObjectSources agent = ObjectSources.builder().store(new ObjectStore(dir, 64L << 20)).build();
        assertArrayEquals(on.bytes(), agent.get(hello, dropOn).bytes());

        // another user swaps object and digest while the agent runs: refused on read, not served
        Files.write(onFile, off.bytes());
        Files.writeString(onDigest, io.kiln.Sha256.of(off.bytes()) + "  " + onFile.getFileName() + "\n");
        Files.setAttribute(onFile, "unix:uid", 65534);
        Files.setAttribute(onDigest, "unix:uid", 65534);
        ObjectSources running = agent;
        KilnException swapped = assertThrows(KilnException.class, () -> running.get(hello, dropOn));
        assertTrue(swapped.getMessage().contains("is not trusted") && swapped.getMessage().contains("(uid 65534)"),
                swapped.getMessage());

        // a new agent refuses the store as soon as it opens it, naming the file, its owner and mode
        KilnException atOpen = assertThrows(KilnException.class,
                () -> ObjectSources.builder().store(new ObjectStore(dir, 64L << 20)).build());
        assertTrue(atOpen.getMessage().startsWith("object store " + dir.toRealPath() + " is not trusted: "),
                atOpen.getMessage());
        assertTrue(atOpen.getMessage().contains("(uid 65534)") && atOpen.getMessage().contains("mode rw-"),
                atOpen.getMessage());

        // files of this user in a folder its group can write: refused too
        Object me = Files.getAttribute(dir, "unix:uid");
        Files.setAttribute(onFile, "unix:uid", me);
        Files.setAttribute(onDigest, "unix:uid", me);
        Files.setPosixFilePermissions(onFile.getParent(), java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxr-x"));
        KilnException groupWritable = assertThrows(KilnException.class,
                () -> ObjectSources.builder().compiler(new VariantBuilder(new Renderer(), cache)).build());
        assertTrue(groupWritable.getMessage().contains(onFile.getParent() + " is writable by others than its owner"),
                groupWritable.getMessage());
    }
}
