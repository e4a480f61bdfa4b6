package io.kiln.cli;

import io.kiln.build.VariantBuilder;
import io.kiln.cache.ObjectStore;
import io.kiln.compile.ClangCompiler;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Where objects are cached and which clang compiles them. */
final class CacheOptions {
    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "Object store folder (objects go to DIR/objects/). Default: $KILN_CACHE_DIR, else ~/.cache/kiln.")
    Path cacheDir;

    @Option(names = "--clang", paramLabel = "PATH",
            description = "clang to use. Default: $KILN_CLANG, else clang on PATH.")
    Path clang;

    @Option(names = "--clang-timeout", paramLabel = "SECONDS", defaultValue = "" + VariantBuilder.DEFAULT_CLANG_TIMEOUT_SECONDS,
            description = "Time limit for one clang run (default: ${DEFAULT-VALUE}).")
    long clangTimeoutSeconds;

    Path storeDir() {
        return cacheDir != null ? cacheDir : ObjectStore.defaultDir();
    }

    ClangCompiler compiler() {
        return defaults(storeDir()).compiler();
    }

    VariantBuilder builder() {
        return builder(storeDir());
    }

    VariantBuilder builder(Path store) {
        return defaults(store).build();
    }

    private VariantBuilder.Defaults defaults(Path store) {
        // the agent and the bench commands load what they build as root, and compile fills the same
        // store: every command takes only a store this user alone can write
        return VariantBuilder.defaults(store).trustedStore().clang(clang).clangTimeout(Duration.ofSeconds(clangTimeoutSeconds));
    }
}
