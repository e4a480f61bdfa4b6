package io.kiln.maven.internal;

import io.kiln.build.VariantBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One {@link VariantBuilder} per configuration for the whole Maven session (the plugin's class realm
 * lives as long as the build): goals and modules of one build share its memory cache and its
 * coalescing, so {@code kiln:generate} and {@code kiln:compile} never compile a variant twice, and
 * parallel modules never run more clang processes than the configured threads.
 */
public final class Builders {
    /** What decides a builder: the store, the compiler and how many clang processes may run at once. */
    public record Settings(Path storeDir, long storeMaxBytes, Path clang, Duration timeout, int threads) {
    }

    private static final Map<Settings, VariantBuilder> BUILDERS = new ConcurrentHashMap<>();

    private Builders() {
    }

    /** The shared builder; locates clang (two quick probes) the first time, never when every variant is up to date. */
    public static VariantBuilder get(Settings settings) {
        return BUILDERS.computeIfAbsent(settings, Builders::create);
    }

    private static VariantBuilder create(Settings s) {
        AtomicInteger count = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(s.threads(), r -> {
            Thread t = new Thread(r, "kiln-compile-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        return VariantBuilder.defaults(s.storeDir()).storeBytes(s.storeMaxBytes()).clang(s.clang())
                .clangTimeout(s.timeout()).executor(pool).build();
    }
}
