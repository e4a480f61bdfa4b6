package io.kiln.build;

import io.kiln.cache.CacheResult;
import io.kiln.cache.ObjectCache;
import io.kiln.cache.ObjectStore;
import io.kiln.compile.Clang;
import io.kiln.compile.ClangCompiler;
import io.kiln.object.ObjectInfo;
import io.kiln.template.BuildParameters;
import io.kiln.template.RenderedSource;
import io.kiln.template.Renderer;
import io.kiln.template.TemplateDescriptor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Template plus build parameters in, checked object out: render, compile through the object
 * cache (so one variant is compiled once), then check the object against the descriptor: its
 * programs and maps both ways, then its constants. Thread-safe; share one per process.
 */
public final class VariantBuilder {
    private final Renderer renderer;
    private final ObjectCache cache;

    public VariantBuilder(Renderer renderer, ObjectCache cache) {
        this.renderer = renderer;
        this.cache = cache;
    }

    /**
     * The usual chain, renderer, clang, object cache and on-disk store, with Kiln's defaults: clang
     * from {@code $KILN_CLANG} or PATH, {@link #DEFAULT_CLANG_TIMEOUT}, a store of
     * {@link #DEFAULT_STORE_BYTES}. Change what differs, then {@link Defaults#build()}.
     */
    public static Defaults defaults(Path storeDir) {
        return new Defaults(storeDir);
    }

    /** Seconds, for option defaults that must be compile-time constants. */
    public static final long DEFAULT_CLANG_TIMEOUT_SECONDS = 120;
    public static final Duration DEFAULT_CLANG_TIMEOUT = Duration.ofSeconds(DEFAULT_CLANG_TIMEOUT_SECONDS);
    public static final long DEFAULT_STORE_BYTES = 1L << 30;

    /** Settings of {@link #defaults(Path)}. */
    public static final class Defaults {
        private final Path storeDir;
        private Path clang;
        private Duration clangTimeout = DEFAULT_CLANG_TIMEOUT;
        private long storeBytes = DEFAULT_STORE_BYTES;
        private boolean trustedStore;
        private Executor executor;

        private Defaults(Path storeDir) {
            this.storeDir = Objects.requireNonNull(storeDir, "storeDir");
        }

        /** clang to use; null for {@code $KILN_CLANG}, else the one on PATH. */
        public Defaults clang(Path clang) {
            this.clang = clang;
            return this;
        }

        public Defaults clangTimeout(Duration timeout) {
            this.clangTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        public Defaults storeBytes(long bytes) {
            this.storeBytes = bytes;
            return this;
        }

        /**
         * Opens the store with {@link ObjectStore#trusted}, for objects that will be loaded into the
         * kernel: a store someone else could write is refused.
         */
        public Defaults trustedStore() {
            this.trustedStore = true;
            return this;
        }

        /** Where compiles run (bounds how many clang processes run at once); default: the cache's own. */
        public Defaults executor(Executor executor) {
            this.executor = executor;
            return this;
        }

        /** The compiler these settings describe; locates clang. */
        public ClangCompiler compiler() {
            return new ClangCompiler(Clang.locate(clang), clangTimeout);
        }

        public VariantBuilder build() {
            ObjectCache.Builder cache = ObjectCache.builder(compiler(),
                    trustedStore ? ObjectStore.trusted(storeDir, storeBytes) : new ObjectStore(storeDir, storeBytes));
            if (executor != null) {
                cache.executor(executor);
            }
            return new VariantBuilder(new Renderer(), cache.build());
        }
    }

    public BuiltVariant build(TemplateDescriptor template, BuildParameters parameters) {
        RenderedSource source = renderer.render(template, parameters);
        return check(template, parameters, cache.get(source));
    }

    public CompletableFuture<BuiltVariant> buildAsync(TemplateDescriptor template, BuildParameters parameters) {
        RenderedSource source = renderer.render(template, parameters);
        return cache.getAsync(source).thenApply(result -> check(template, parameters, result));
    }

    public ObjectCache cache() {
        return cache;
    }

    public Renderer renderer() {
        return renderer;
    }

    private static BuiltVariant check(TemplateDescriptor template, BuildParameters parameters, CacheResult result) {
        String name = template.name() + "(" + parameters.canonical() + ")";
        ObjectInfo info = ObjectInfo.read(result.object().bytes(), name);
        ContractCheck.verify(template, info, name);
        ConstantCheck.verify(template, info, name);
        ReasonCountersCheck.verify(template, info, name);
        return new BuiltVariant(template, parameters, result, info);
    }
}
