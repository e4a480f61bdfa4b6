package io.kiln.cache;

/**
 * Counters of an {@link ObjectCache} since it was created. {@code clangRuns} counts compiles (failed
 * ones too); {@code dependencyScans} the cheaper preprocessor passes that compute variant keys;
 * {@code compileNanos} the wall time spent in compiles.
 */
public record CacheStats(long memoryHits, long diskHits, long misses, long clangRuns, long dependencyScans,
                         long compileNanos) {
}
