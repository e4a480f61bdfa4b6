package io.kiln.agent.dataplane;

import io.kiln.KilnException;
import io.kiln.agent.dataplane.internal.InputStamp;
import io.kiln.agent.dataplane.internal.StoredVariants;
import io.kiln.build.BuiltVariant;
import io.kiln.build.VariantBuilder;
import io.kiln.cache.CacheStats;
import io.kiln.cache.ObjectStore;
import io.kiln.cache.StoreTrust;
import io.kiln.runtime.TemplateObject;
import io.kiln.template.BuildParameters;
import io.kiln.template.Renderer;
import io.kiln.template.TemplateDescriptor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Where the agent gets the object of a variant, first hit wins: bundles on the class path, then
 * the object store (through the agent's own index of what it stored, so a node without clang can
 * use it), then clang through {@link VariantBuilder} (whose cache reads the store first and
 * compiles each variant once, however many endpoints ask at the same time). A node without clang
 * works for every variant a bundle or the store holds. A store anyone but this process's user can
 * write is refused when the sources are built ({@link StoreTrust}). Thread-safe.
 *
 * <p>What clang's path served is also kept per (template, build parameters), with a stamp of the files
 * it was made from (the template's folder and include folders in full, and the headers clang read):
 * the next endpoint of the same variant gets it after a few {@code stat}s, without rendering, hashing
 * or reading the store, for as long as none of those files changed ({@link InputStamp}).
 */
public final class ObjectSources {
    private final ObjectSource bundles;
    private final StoredVariants stored;
    private final VariantBuilder compiler;
    private final Renderer renderer = new Renderer();
    private final LongAdder bundleHits = new LongAdder();
    private final LongAdder storeHits = new LongAdder();
    private final LongAdder memoHits = new LongAdder();
    /** The last object served per (template files, build parameters), with a stamp of what it was made from. */
    private final Map<String, Memo> memo = new ConcurrentHashMap<>();

    private record Memo(TemplateObject object, InputStamp stamp) {
    }

    private ObjectSources(Builder b) {
        this.bundles = b.bundles;
        this.compiler = b.compiler;
        ObjectStore store = b.store != null ? b.store : b.compiler != null ? b.compiler.cache().store() : null;
        // what the agent loads runs as root: only a store no one but this user can write will do
        if (b.compiler != null && !b.compiler.cache().store().isTrusted()) {
            StoreTrust.requireTrusted(b.compiler.cache().store().dir());
        }
        if (store != null && !store.isTrusted()) {
            store = ObjectStore.trusted(store.dir(), store.maxBytes());
        }
        this.stored = store == null ? null : new StoredVariants(store);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The object of {@code template} built with {@code build}.
     *
     * @throws KilnException when no source has it (the message says which were asked and what a node
     *                       without clang needs), or a source failed (a compile error names the template's file:line)
     */
    public TemplateObject get(TemplateDescriptor template, BuildParameters build) {
        Optional<TemplateObject> found = bundles.find(template, build);
        if (found.isPresent()) {
            bundleHits.increment();
            return found.get();
        }
        String memoKey = template.name() + "\u0000" + template.descriptorFile() + "\u0000" + build.canonical();
        Memo m = memo.get(memoKey);
        if (m != null && m.object().template().equals(template) && m.stamp().holds()) {
            memoHits.increment();
            return m.object();
        }
        if (compiler != null) {
            BuiltVariant v = compiler.build(template, build);
            if (stored != null && !stored.recorded(v.result().object().key())) {
                stored.record(compiler.renderer().render(template, build), v.result().object());
            }
            return remember(memoKey, TemplateObject.of(template, v.result().object()), v.result().object().headers());
        }
        if (stored != null && canRender(template)) {
            // not memoized: the index's header digests are checked on every request
            Optional<TemplateObject> inStore = stored.find(renderer.render(template, build))
                    .map(o -> TemplateObject.of(template, o.key().hex(), o.bytes()));
            if (inStore.isPresent()) {
                storeHits.increment();
                return inStore.get();
            }
        }
        throw new KilnException("template " + template.name() + " variant (" + build.canonical() + "): no "
                + bundles.name() + " holds it" + (stored == null ? "" : ", the object store " + stored.dir()
                + " does not either") + ", and there is no clang on this node to compile it; install clang, or"
                + " ship the variant in a bundle");
    }

    /** Objects served without compiling: bundles, the store, the compile cache's memory and disk, and the memo. */
    public long hits() {
        CacheStats s = cacheStats();
        return bundleHits.sum() + storeHits.sum() + memoHits.sum() + (s == null ? 0 : s.memoryHits() + s.diskHits());
    }

    /** Objects served from the memo: same template files, same build parameters, nothing rendered or hashed. */
    public long memoHits() {
        return memoHits.sum();
    }

    /**
     * Keeps {@code object} for the next endpoint asking for the same variant, stamped with the template's
     * folder, its include folders and the headers clang read; not kept when a stamp cannot be trusted yet.
     */
    private TemplateObject remember(String key, TemplateObject object, List<Path> headers) {
        TemplateDescriptor t = object.template();
        List<Path> folders = new ArrayList<>();
        folders.add(t.root());
        folders.addAll(t.includeDirs());
        List<Path> files = new ArrayList<>(headers);
        files.add(t.descriptorFile());
        files.add(t.templateFile());
        InputStamp stamp = InputStamp.of(folders, files);
        if (stamp == null) {
            memo.remove(key);
        } else {
            memo.put(key, new Memo(object, stamp));
        }
        return object;
    }

    /** Objects that had to be compiled. */
    public long misses() {
        CacheStats s = cacheStats();
        return s == null ? 0 : s.misses();
    }

    /** clang compiles (dependency scans not counted). */
    public long clangRuns() {
        CacheStats s = cacheStats();
        return s == null ? 0 : s.clangRuns();
    }

    /** True when clang is there to compile variants nothing else holds. */
    public boolean canCompile() {
        return compiler != null;
    }

    /** The sources asked, in order, for messages: {@code bundle, store, clang}. */
    public List<String> describe() {
        List<String> out = new ArrayList<>();
        out.add(bundles.name());
        if (stored != null) {
            out.add("store " + stored.dir());
        }
        if (compiler != null) {
            out.add(String.valueOf(compiler.cache().compiler().clang()));
        }
        return out;
    }

    private CacheStats cacheStats() {
        return compiler == null ? null : compiler.cache().stats();
    }

    /** A descriptor from a bundle names files that do not exist: such a template can only come from a bundle. */
    private static boolean canRender(TemplateDescriptor t) {
        return java.nio.file.Files.isRegularFile(t.templateFile());
    }

    /** Which sources to ask; without any, only bundles (none yet) are asked. */
    public static final class Builder {
        private ObjectSource bundles = ObjectSource.none("bundle");
        private ObjectStore store;
        private VariantBuilder compiler;

        private Builder() {
        }

        /** Asked first: the bundles on the class path (the {@code io.kiln.bundle} seam). */
        public Builder bundles(ObjectSource source) {
            this.bundles = Objects.requireNonNull(source, "source");
            return this;
        }

        /** The object store to use without clang (default: the compiler's store, if there is a compiler). */
        public Builder store(ObjectStore store) {
            this.store = store;
            return this;
        }

        /** clang through an object cache; null on a node without clang. */
        public Builder compiler(VariantBuilder builder) {
            this.compiler = builder;
            return this;
        }

        public ObjectSources build() {
            return new ObjectSources(this);
        }
    }
}
