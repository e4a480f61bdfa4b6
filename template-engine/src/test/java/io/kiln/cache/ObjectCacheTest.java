package io.kiln.cache;

import io.kiln.compile.ClangCompiler;
import io.kiln.compile.CompileException;
import io.kiln.compile.TestSources;
import io.kiln.template.RenderedSource;
import io.kiln.template.TemplateDescriptor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ObjectCacheTest {
    private static final long STORE_BYTES = 64L << 20;
    private static final String BROKEN = TestSources.program(1).replace("return pick(", "return undeclared_var + pick(");

    private static ClangCompiler compiler;

    @BeforeAll
    static void locateClang() {
        compiler = new ClangCompiler(TestSources.clang(), Duration.ofSeconds(120));
    }

    private static ObjectCache cache(Path storeDir) {
        return new ObjectCache(compiler, new ObjectStore(storeDir, STORE_BYTES));
    }

    @Test
    void sixteenColdRequestsShareOneScanAndOneCompile(@TempDir Path base) throws Exception {
        RenderedSource src = TestSources.source(TestSources.layout(base), 1);
        ObjectCache cache = cache(base.resolve("store"));
        List<CacheResult> results = concurrently(16, () -> cache.get(src));

        CacheStats stats = cache.stats();
        assertEquals(1, stats.clangRuns(), stats.toString());
        assertEquals(1, stats.dependencyScans(), stats.toString());
        assertEquals(1, stats.misses(), stats.toString());
        assertEquals(15, stats.memoryHits(), stats.toString());
        assertTrue(stats.compileNanos() > 0);
        byte[] first = results.get(0).object().bytes();
        for (CacheResult r : results) {
            assertArrayEquals(first, r.object().bytes());
            assertEquals(results.get(0).object().key(), r.object().key());
        }
        assertEquals(1, results.stream().filter(r -> r.outcome() == CacheOutcome.MISS).count());
    }

    @Test
    void failedCompileIsNotCached(@TempDir Path base) throws IOException {
        TemplateDescriptor template = TestSources.layout(base);
        ObjectCache cache = cache(base.resolve("store"));

        assertThrows(CompileException.class, () -> cache.get(TestSources.source(template, BROKEN)));
        CompileException again = assertThrows(CompileException.class, () -> cache.get(TestSources.source(template, BROKEN)));
        assertTrue(again.getMessage().contains("undeclared_var"), again.getMessage());
        assertEquals(2, cache.stats().clangRuns(), "the same failing source is compiled again: " + cache.stats());

        CacheResult fixed = cache.get(TestSources.source(template, 1));
        assertEquals(CacheOutcome.MISS, fixed.outcome());
        assertEquals(3, cache.stats().clangRuns());
        assertEquals(0, cache.stats().memoryHits());
    }

    @Test
    void everyWaiterGetsTheCompileFailure(@TempDir Path base) throws Exception {
        RenderedSource src = TestSources.source(TestSources.layout(base), BROKEN);
        ObjectCache cache = cache(base.resolve("store"));
        List<Object> outcomes = concurrently(8, () -> {
            try {
                return cache.get(src);
            } catch (CompileException e) {
                return e;
            }
        });
        assertTrue(outcomes.stream().allMatch(o -> o instanceof CompileException), outcomes.toString());
        assertEquals(1, cache.stats().clangRuns(), "waiters shared the one failed compile: " + cache.stats());
        assertThrows(CompileException.class, () -> cache.get(src));
        assertEquals(2, cache.stats().clangRuns(), "and the failure was not kept");
    }

    @Test
    void unchangedHeadersHitWithoutClangAndAChangedHeaderRecompiles(@TempDir Path base) throws IOException {
        TemplateDescriptor template = TestSources.layout(base);
        RenderedSource src = TestSources.source(template, 1);
        Path store = base.resolve("store");

        ObjectCache first = cache(store);
        CacheResult miss = first.get(src);
        assertEquals(CacheOutcome.MISS, miss.outcome());
        CacheResult memory = first.get(src);
        assertEquals(CacheOutcome.MEMORY, memory.outcome());
        assertEquals(1, first.stats().clangRuns());
        assertEquals(1, first.stats().dependencyScans());

        ObjectCache fresh = cache(store);
        CacheResult disk = fresh.get(src);
        assertEquals(CacheOutcome.DISK, disk.outcome());
        assertArrayEquals(miss.object().bytes(), disk.object().bytes());
        assertEquals(miss.object().key(), disk.object().key());
        assertEquals(new CacheStats(0, 1, 0, 0, 0, 0), fresh.stats(), "a disk hit runs no clang process at all");
        assertTrue(disk.object().headers().contains(base.resolve("lib").resolve(TestSources.HEADER)));

        TestSources.writeHeader(base.resolve("lib"), 2);
        CacheResult changed = fresh.get(src);
        assertEquals(CacheOutcome.MISS, changed.outcome());
        assertNotEquals(miss.object().key(), changed.object().key());
        assertFalse(Arrays.equals(miss.object().bytes(), changed.object().bytes()), "the new header changed the code");
        assertEquals(1, fresh.stats().clangRuns());
        assertEquals(1, fresh.stats().dependencyScans());

        TestSources.writeHeader(base.resolve("lib"), 1);
        CacheResult back = fresh.get(src);
        assertEquals(miss.object().key(), back.object().key(), "same contents, same key");
        assertEquals(CacheOutcome.MEMORY, back.outcome());
        assertEquals(1, fresh.stats().clangRuns());
    }

    @Test
    void aNewHeaderInAnEarlierIncludeFolderChangesTheKey(@TempDir Path base) throws IOException {
        TemplateDescriptor template = TestSources.layout(base);
        RenderedSource src = TestSources.source(template, 1);
        ObjectCache cache = cache(base.resolve("store"));
        VariantKey before = cache.get(src).object().key();

        Path shadow = template.root().resolve(TestSources.HEADER);
        TestSources.writeHeader(template.root(), 7);
        CacheResult after = cache.get(src);
        assertNotEquals(before, after.object().key());
        assertTrue(after.object().headers().contains(shadow), after.object().headers().toString());
        assertEquals(2, cache.stats().dependencyScans());
    }

    @Test
    void corruptStoredObjectIsDetectedAndRebuilt(@TempDir Path base) throws IOException {
        RenderedSource src = TestSources.source(TestSources.layout(base), 1);
        ObjectStore store = new ObjectStore(base.resolve("store"), STORE_BYTES);
        CompiledObject original = new ObjectCache(compiler, store).get(src).object();
        Path file = original.file();
        assertEquals(store.objectFile(original.key()), file);

        byte[] flipped = Files.readAllBytes(file);
        flipped[flipped.length / 2] ^= 0x01;
        Files.write(file, flipped);
        ObjectCache second = new ObjectCache(compiler, store);
        CacheResult rebuilt = second.get(src);
        assertEquals(CacheOutcome.MISS, rebuilt.outcome(), "a corrupt object is a miss");
        assertArrayEquals(original.bytes(), rebuilt.object().bytes());
        assertArrayEquals(original.bytes(), Files.readAllBytes(file), "and the store holds a good copy again");
        assertEquals(1, store.corruptObjectsDetected());

        Files.write(file, Arrays.copyOf(original.bytes(), original.size() / 3));
        ObjectCache third = new ObjectCache(compiler, store);
        CacheResult afterTruncation = third.get(src);
        assertEquals(CacheOutcome.MISS, afterTruncation.outcome());
        assertArrayEquals(original.bytes(), afterTruncation.object().bytes());
        assertEquals(2, store.corruptObjectsDetected());
        assertEquals(CacheOutcome.DISK, new ObjectCache(compiler, store).get(src).outcome());
    }

    @Test
    void sameSourceGivesTheSameKeyAndBytesInAnyStoreAndCheckout(@TempDir Path one, @TempDir Path two)
            throws IOException {
        CompiledObject a = cache(one.resolve("store"))
                .get(TestSources.source(TestSources.layout(one.resolve("checkout")), 4)).object();
        CompiledObject b = cache(two.resolve("store"))
                .get(TestSources.source(TestSources.layout(two.resolve("some/other/checkout")), 4)).object();
        assertEquals(a.key(), b.key());
        assertArrayEquals(a.bytes(), b.bytes());
        assertNotEquals(a.file(), b.file());
    }

    @Test
    void evictionKeepsTheStoreUnderItsBound(@TempDir Path base) throws IOException {
        TemplateDescriptor template = TestSources.layout(base);
        int objectSize = cache(base.resolve("probe")).get(TestSources.source(template, 0)).object().size();
        long bound = 3L * objectSize;
        ObjectStore store = new ObjectStore(base.resolve("store"), bound);
        ObjectCache cache = new ObjectCache(compiler, store);
        List<CompiledObject> objects = new ArrayList<>();
        for (int variant = 1; variant <= 6; variant++) {
            objects.add(cache.get(TestSources.source(template, variant)).object());
            assertTrue(store.sizeBytes() <= bound, "store " + store.sizeBytes() + " > bound " + bound);
        }
        assertTrue(store.read(objects.get(5).key()).isPresent(), "the newest object is kept");
        assertTrue(store.read(objects.get(0).key()).isEmpty(), "the oldest object was evicted");
        assertEquals(6, cache.stats().clangRuns());
    }

    @Test
    void asyncGetsCompleteAndFailLikeGet(@TempDir Path base) throws Exception {
        TemplateDescriptor template = TestSources.layout(base);
        ObjectCache cache = cache(base.resolve("store"));
        CacheResult result = cache.getAsync(TestSources.source(template, 1)).get(120, TimeUnit.SECONDS);
        assertEquals(CacheOutcome.MISS, result.outcome());
        assertEquals(result.object().key(), cache.variantKey(TestSources.source(template, 1)));

        ExecutionException e = assertThrows(ExecutionException.class,
                () -> cache.getAsync(TestSources.source(template, BROKEN)).get(120, TimeUnit.SECONDS));
        assertInstanceOf(CompileException.class, e.getCause());
    }

    @Test
    void variantKeyNeedsNoCompile(@TempDir Path base) throws IOException {
        ObjectCache cache = cache(base.resolve("store"));
        VariantKey key = cache.variantKey(TestSources.source(TestSources.layout(base), 1));
        assertEquals(12, key.shortForm().length());
        assertEquals(0, cache.stats().clangRuns());
        assertEquals(1, cache.stats().dependencyScans());
    }

    @Test
    void returnedBytesCannotChangeTheCachedObject(@TempDir Path base) throws IOException {
        RenderedSource src = TestSources.source(TestSources.layout(base), 1);
        ObjectCache cache = cache(base.resolve("store"));
        byte[] bytes = cache.get(src).object().bytes();
        byte[] pristine = bytes.clone();
        bytes[0] = 0;
        assertArrayEquals(pristine, cache.get(src).object().bytes());
    }

    /** Runs {@code task} on {@code n} threads released at the same moment; returns their results. */
    static <T> List<T> concurrently(int n, java.util.concurrent.Callable<T> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            CountDownLatch ready = new CountDownLatch(n);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                futures.add(pool.submit(() -> {
                    ready.countDown();
                    go.await();
                    return task.call();
                }));
            }
            assertTrue(ready.await(30, TimeUnit.SECONDS));
            go.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get(120, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    /** chattr +i: a folder even root cannot write, as a read-only mount would be. */
    private static void immutable(Path dir, boolean on) throws Exception {
        Process p = new ProcessBuilder("chattr", on ? "+i" : "-i", dir.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        org.junit.jupiter.api.Assumptions.assumeTrue(p.waitFor() == 0 || !on,
                "a read-only store needs chattr +i on the temp folder's file system: " + out);
    }

    @Test
    void aStoreThatCannotBeWrittenCompilesWithoutCachingAndWarns(@TempDir Path base) throws Exception {
        RenderedSource src = TestSources.source(TestSources.layout(base), 1);
        Path dir = Files.createDirectories(base.resolve("store"));
        List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        ObjectCache cache = new ObjectCache(compiler, new ObjectStore(dir, STORE_BYTES).onWarning(warnings::add));
        immutable(dir, true);
        try {
            CacheResult r = cache.get(src);
            assertEquals(CacheOutcome.MISS, r.outcome());
            assertTrue(r.object().size() > 0);
            assertEquals(null, r.object().file(), "not stored");
            assertEquals(1, warnings.size(), warnings.toString());
            assertTrue(warnings.get(0).contains("cannot write") && warnings.get(0).endsWith("compiling without caching"),
                    warnings.get(0));
        } finally {
            immutable(dir, false);
        }
    }

    @Test
    void aCorruptEntryInAReadOnlyStoreIsReportedAsCorruptAndRecompiled(@TempDir Path base) throws Exception {
        RenderedSource src = TestSources.source(TestSources.layout(base), 1);
        Path dir = base.resolve("store");
        CacheResult first = cache(dir).get(src);
        Path object = first.object().file();
        byte[] bytes = Files.readAllBytes(object);
        bytes[bytes.length / 2] ^= 1;
        Files.write(object, bytes);
        List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        ObjectCache readOnly = new ObjectCache(compiler, new ObjectStore(dir, STORE_BYTES).onWarning(warnings::add));
        immutable(object.getParent(), true);
        try {
            CacheResult again = readOnly.get(src);
            assertEquals(CacheOutcome.MISS, again.outcome());
            assertArrayEquals(first.object().bytes(), again.object().bytes(), "recompiled, not the corrupt bytes");
            assertTrue(warnings.stream().anyMatch(w -> w.contains(object + " is corrupt (its SHA-256 does not match")),
                    warnings.toString());
            assertFalse(warnings.stream().anyMatch(w -> w.contains("cannot read")), warnings.toString());
        } finally {
            immutable(object.getParent(), false);
        }
    }
}
