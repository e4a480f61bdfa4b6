package io.kiln.cache.internal;

import io.kiln.KilnException;
import io.kiln.cache.DependencyManifest;
import io.kiln.cache.ObjectStore;
import io.kiln.cache.VariantKey;
import io.kiln.compile.ClangCompiler;
import io.kiln.compile.DependencyScan;
import io.kiln.compile.Invocation;
import io.kiln.template.RenderedSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * Turns a rendered source into its variant key, running clang only when it must (ccache's "direct
 * mode"). The dependency manifest of the source's input key, in memory or in the store, says which
 * headers it included and what they contained; while that still holds, the key follows from it with
 * no process at all. Otherwise one dependency scan runs, shared by every concurrent request for the
 * same input, and its manifest replaces the old one in memory and in the store.
 */
public final class ManifestResolver {
    private static final int ATTEMPTS = 3;

    private final ClangCompiler compiler;
    private final ObjectStore store;
    private final HeaderHasher hasher = new HeaderHasher();
    private final Coalescer<String, DependencyManifest> manifests = Coalescer.bySize(10_000);
    private final LongAdder scans = new LongAdder();

    private final Consumer<KilnException> unwritable;

    /** {@code unwritable} hears of a manifest the store could not keep (the key is still good). */
    public ManifestResolver(ClangCompiler compiler, ObjectStore store, Consumer<KilnException> unwritable) {
        this.compiler = compiler;
        this.store = store;
        this.unwritable = unwritable;
    }

    public String inputKey(RenderedSource src, Invocation invocation) {
        return KeyDigest.inputKey(compiler.clang(), invocation, src);
    }

    /** A manifest for {@code src} that holds right now; its {@code variantKey} is the source's key. */
    public DependencyManifest resolve(RenderedSource src, Invocation invocation) {
        String inputKey = inputKey(src, invocation);
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            Coalescer.Loaded<DependencyManifest> loaded =
                    manifests.get(inputKey, () -> loadOrScan(inputKey, src, invocation));
            // a manifest this request just made holds by construction; a shared or remembered one
            // may predate a header edit
            if (loaded.computedHere() || holds(loaded.value(), src, invocation)) {
                return loaded.value();
            }
            manifests.discard(inputKey, loaded.value());
        }
        throw new HeadersChangedException("the headers of " + src.fileName() + " kept changing while Kiln computed"
                + " its variant key");
    }

    /** Drops the in-memory manifest (the store's is checked again before use). */
    public void forget(String inputKey) {
        manifests.invalidate(inputKey);
    }

    public long scans() {
        return scans.sum();
    }

    private DependencyManifest loadOrScan(String inputKey, RenderedSource src, Invocation invocation) {
        var recorded = store.readManifest(inputKey);
        if (recorded.isPresent() && holds(recorded.get(), src, invocation)) {
            return recorded.get();
        }
        scans.increment();
        DependencyScan scan = compiler.scanDependencies(src);
        DependencyManifest manifest = manifestFor(src, invocation, inputKey, scan.headers());
        try {
            store.writeManifest(manifest);
        } catch (KilnException e) {
            unwritable.accept(e);
        }
        return manifest;
    }

    /** Hashes {@code headers} as they are now and derives the variant key from them. */
    public DependencyManifest manifestFor(RenderedSource src, Invocation invocation, String inputKey,
                                          List<Path> headers) {
        List<DependencyManifest.Header> entries = new ArrayList<>();
        for (Path header : headers) {
            try {
                entries.add(new DependencyManifest.Header(header, invocation.headerName(header), hasher.sha256(header)));
            } catch (IOException e) {
                throw new HeadersChangedException("header " + header + " vanished after clang read it: " + e);
            }
        }
        VariantKey key = KeyDigest.variantKey(compiler.clang(), invocation, src, entries);
        return new DependencyManifest(inputKey, key, entries, absent(invocation, headers));
    }

    private boolean holds(DependencyManifest manifest, RenderedSource src, Invocation invocation) {
        for (DependencyManifest.Header header : manifest.headers()) {
            try {
                if (!hasher.sha256(header.path()).equals(header.sha256())) {
                    return false;
                }
            } catch (IOException e) {
                return false;
            }
        }
        if (manifest.absent().stream().anyMatch(Files::exists)) {
            return false;
        }
        return KeyDigest.variantKey(compiler.clang(), invocation, src, manifest.headers())
                .equals(manifest.variantKey());
    }

    /**
     * Paths where a new file would shadow a recorded header: the same relative name in an earlier
     * search folder. Only paths that do not exist now are recorded; an existing one that clang did
     * not pick (a quoted include found beside its includer) must not invalidate the manifest forever.
     * Quoted includes resolved beside their includer are not covered, as in ccache.
     */
    private static List<Path> absent(Invocation invocation, List<Path> headers) {
        List<Invocation.SearchDir> dirs = invocation.searchDirs();
        List<Path> absent = new ArrayList<>();
        for (Path header : headers) {
            for (int i = 0; i < dirs.size(); i++) {
                if (!header.startsWith(dirs.get(i).dir())) {
                    continue;
                }
                Path relative = dirs.get(i).dir().relativize(header);
                for (int j = 0; j < i; j++) {
                    Path candidate = dirs.get(j).dir().resolve(relative);
                    if (!Files.exists(candidate)) {
                        absent.add(candidate);
                    }
                }
                break;
            }
        }
        return absent;
    }
}
