package io.kiln.cache.internal;

import io.kiln.Sha256;
import io.kiln.cache.DependencyManifest;
import io.kiln.cache.VariantKey;
import io.kiln.compile.Clang;
import io.kiln.compile.Invocation;
import io.kiln.template.RenderedSource;

import java.util.Comparator;
import java.util.List;

/**
 * The two hashes of the cache. The input key is local to this machine (it includes absolute search
 * folders, because the manifest it names records absolute header paths); the variant key is not
 * (include folders and headers appear only under their stable labels), so two checkouts, or two
 * machines with the same clang and headers, agree on it.
 */
public final class KeyDigest {
    private static final String INPUT_VERSION = "kiln-input-v1";
    private static final String VARIANT_VERSION = "kiln-variant-v1";

    private KeyDigest() {
    }

    public static String inputKey(Clang clang, Invocation invocation, RenderedSource src) {
        Sha256 sha = new Sha256().field(INPUT_VERSION);
        compiler(sha, clang, invocation.keyFlags());
        sha.field(String.join("\n", invocation.flags()));
        invocation.searchDirs().forEach(d -> sha.field(d.dir().toString()));
        return sha.field(src.fileName()).field(src.text()).hex();
    }

    public static VariantKey variantKey(Clang clang, Invocation invocation, RenderedSource src,
                                        List<DependencyManifest.Header> headers) {
        Sha256 sha = new Sha256().field(VARIANT_VERSION);
        compiler(sha, clang, invocation.keyFlags());
        sha.field(src.fileName()).field(src.text());
        // sorted: the set of headers and their contents decide the bytes; the depfile's order follows from them
        List<DependencyManifest.Header> sorted = headers.stream()
                .sorted(Comparator.comparing(DependencyManifest.Header::name)).toList();
        sha.field(Integer.toString(sorted.size()));
        sorted.forEach(h -> sha.field(h.name()).field(h.sha256()));
        return new VariantKey(sha.hex());
    }

    private static void compiler(Sha256 sha, Clang clang, List<String> keyFlags) {
        sha.field(clang.identity()).field(clang.version()).field("bpf");
        sha.field(Integer.toString(keyFlags.size()));
        keyFlags.forEach(sha::field);
    }
}
