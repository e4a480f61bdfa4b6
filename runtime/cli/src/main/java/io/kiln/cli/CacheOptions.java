package io.kiln.cli;

import io.kiln.build.VariantBuilder;
import io.kiln.cache.ObjectCache;
import io.kiln.cache.ObjectStore;
import io.kiln.compile.Clang;
import io.kiln.compile.ClangCompiler;
import io.kiln.template.Renderer;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Where objects are cached and which clang compiles them. */
final class CacheOptions {
    static final long DEFAULT_MAX_BYTES = 1L << 30;

    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "Object store folder. Default: $KILN_CACHE_DIR, else ~/.cache/kiln/objects.")
    Path cacheDir;

    @Option(names = "--clang", paramLabel = "PATH",
            description = "clang to use. Default: $KILN_CLANG, else clang on PATH.")
    Path clang;

    @Option(names = "--clang-timeout", paramLabel = "SECONDS", defaultValue = "120",
            description = "Time limit for one clang run (default: ${DEFAULT-VALUE}).")
    long clangTimeoutSeconds;

    Path storeDir() {
        return cacheDir != null ? cacheDir : ObjectStore.defaultDir();
    }

    ClangCompiler compiler() {
        return new ClangCompiler(Clang.locate(clang), Duration.ofSeconds(clangTimeoutSeconds));
    }

    VariantBuilder builder() {
        return builder(storeDir());
    }

    VariantBuilder builder(Path store) {
        return new VariantBuilder(new Renderer(), new ObjectCache(compiler(), new ObjectStore(store, DEFAULT_MAX_BYTES)));
    }
}
