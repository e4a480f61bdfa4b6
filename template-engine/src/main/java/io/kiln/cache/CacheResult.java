package io.kiln.cache;

/** One answer of {@link ObjectCache#get}: the object, where it came from, and how long the request took. */
public record CacheResult(CompiledObject object, CacheOutcome outcome, long nanos) {
}
