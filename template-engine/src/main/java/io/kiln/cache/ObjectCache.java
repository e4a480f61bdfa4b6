package io.kiln.cache;

import io.kiln.KilnException;
import io.kiln.cache.internal.Coalescer;
import io.kiln.cache.internal.HeadersChangedException;
import io.kiln.cache.internal.ManifestResolver;
import io.kiln.compile.ClangCompiler;
import io.kiln.compile.CompileResult;
import io.kiln.compile.Invocation;
import io.kiln.template.RenderedSource;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Objects by rendered source: memory first, then the {@link ObjectStore}, then clang.
 *
 * <p>A request first finds the source's variant key through its dependency manifest (see
 * {@link DependencyManifest}): no clang at all while the recorded headers are unchanged, else one
 * dependency scan. Objects are then held in a Caffeine async cache by variant key, bounded by bytes;
 * concurrent requests for one key share one disk read or one compile, and concurrent requests for one
 * source share one scan. A failure is never cached: every request waiting on it gets the same
 * exception, and the next request tries again. If a header changes between key and compile, the
 * object is not stored and the request starts over (at most three times).
 */
public final class ObjectCache {
    /** Memory bound for objects unless the builder says otherwise. */
    public static final long DEFAULT_MEMORY_BYTES = 64L << 20;
    private static final int ATTEMPTS = 3;

    private final ClangCompiler compiler;
    private final ObjectStore store;
    private final Executor executor;
    private final ManifestResolver resolver;
    private final Coalescer<VariantKey, CompiledObject> objects;

    private final LongAdder memoryHits = new LongAdder();
    private final LongAdder diskHits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder clangRuns = new LongAdder();
    private final LongAdder compileNanos = new LongAdder();

    public ObjectCache(ClangCompiler compiler, ObjectStore store) {
        this(builder(compiler, store));
    }

    private ObjectCache(Builder builder) {
        this.compiler = builder.compiler;
        this.store = builder.store;
        this.executor = builder.executor != null ? builder.executor : defaultExecutor();
        this.resolver = new ManifestResolver(compiler, store, this::storeUnwritable);
        this.objects = Coalescer.byWeight(builder.memoryBytes, CompiledObject::size);
    }

    public static Builder builder(ClangCompiler compiler, ObjectStore store) {
        return new Builder(compiler, store);
    }

    /**
     * The object of {@code src}'s variant, compiling it only if neither memory nor the store has it.
     *
     * @throws io.kiln.compile.CompileException when clang rejects the source
     * @throws KilnException                    on any other failure (clang missing or timing out, store unusable)
     */
    public CacheResult get(RenderedSource src) {
        long start = System.nanoTime();
        for (int attempt = 1; ; attempt++) {
            try {
                return getOnce(src, start);
            } catch (HeadersChangedException e) {
                if (attempt == ATTEMPTS) {
                    throw new KilnException("template " + src.template().name() + ": headers kept changing while"
                            + " compiling " + src.fileName() + ", giving up after " + ATTEMPTS + " attempts: "
                            + e.getMessage(), e);
                }
            }
        }
    }

    /** {@link #get} on the cache's executor; the future fails with the exception {@code get} would throw. */
    public CompletableFuture<CacheResult> getAsync(RenderedSource src) {
        return CompletableFuture.supplyAsync(() -> get(src), executor);
    }

    /** The variant key of {@code src}, computed as {@link #get} would, without compiling it. */
    public VariantKey variantKey(RenderedSource src) {
        return resolver.resolve(src, compiler.invocation(src)).variantKey();
    }

    public CacheStats stats() {
        return new CacheStats(memoryHits.sum(), diskHits.sum(), misses.sum(), clangRuns.sum(), resolver.scans(),
                compileNanos.sum());
    }

    public ObjectStore store() {
        return store;
    }

    public ClangCompiler compiler() {
        return compiler;
    }

    private CacheResult getOnce(RenderedSource src, long start) {
        Invocation invocation = compiler.invocation(src);
        DependencyManifest manifest = resolver.resolve(src, invocation);
        VariantKey key = manifest.variantKey();
        CacheOutcome[] outcome = {CacheOutcome.MEMORY};
        Coalescer.Loaded<CompiledObject> loaded = objects.get(key, () -> {
            Optional<StoredObject> stored = store.read(key);
            if (stored.isPresent()) {
                outcome[0] = CacheOutcome.DISK;
                return new CompiledObject(key, stored.get().bytes(), stored.get().file(), manifest.headerPaths());
            }
            outcome[0] = CacheOutcome.MISS;
            return compileAndStore(src, invocation, manifest);
        });
        switch (outcome[0]) {
            case MEMORY -> memoryHits.increment();
            case DISK -> diskHits.increment();
            case MISS -> misses.increment();
        }
        return new CacheResult(loaded.value(), outcome[0], System.nanoTime() - start);
    }

    private CompiledObject compileAndStore(RenderedSource src, Invocation invocation, DependencyManifest manifest) {
        CompileResult result;
        long started = System.nanoTime();
        clangRuns.increment();
        try {
            result = compiler.compile(src);
        } finally {
            compileNanos.add(System.nanoTime() - started);
        }
        // the key was computed from the headers as they were before the compile; an object built from
        // other contents must not be stored under it
        DependencyManifest after = resolver.manifestFor(src, invocation, manifest.inputKey(), result.headers());
        if (!after.variantKey().equals(manifest.variantKey())) {
            resolver.forget(manifest.inputKey());
            throw new HeadersChangedException("the headers of " + src.fileName() + " changed during the compile");
        }
        byte[] bytes = result.object();
        Path file = null;
        try {
            file = store.write(manifest.variantKey(), bytes);
        } catch (KilnException e) {
            // a read-only or full store must not fail a build clang can do
            storeUnwritable(e);
        }
        return new CompiledObject(manifest.variantKey(), bytes, file, result.headers());
    }

    private final java.util.concurrent.atomic.AtomicBoolean warnedUnwritable = new java.util.concurrent.atomic.AtomicBoolean();

    /** Warns once per cache that the store cannot keep objects. */
    private void storeUnwritable(KilnException e) {
        if (warnedUnwritable.compareAndSet(false, true)) {
            store.warn(e.getMessage() + "; compiling without caching");
        }
    }

    private static ExecutorService defaultExecutor() {
        AtomicInteger count = new AtomicInteger();
        return Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "kiln-object-cache-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Options of an {@link ObjectCache}; each has a default. */
    public static final class Builder {
        private final ClangCompiler compiler;
        private final ObjectStore store;
        private long memoryBytes = DEFAULT_MEMORY_BYTES;
        private Executor executor;

        private Builder(ClangCompiler compiler, ObjectStore store) {
            this.compiler = Objects.requireNonNull(compiler, "compiler");
            this.store = Objects.requireNonNull(store, "store");
        }

        /** Bound on the bytes of objects held in memory (default 64 MiB). */
        public Builder memoryBytes(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("memoryBytes cannot be negative, was " + bytes);
            }
            this.memoryBytes = bytes;
            return this;
        }

        /** Runs {@link #getAsync} requests (default: a pool of daemon threads that grows with demand). */
        public Builder executor(Executor executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        public ObjectCache build() {
            return new ObjectCache(this);
        }
    }
}
