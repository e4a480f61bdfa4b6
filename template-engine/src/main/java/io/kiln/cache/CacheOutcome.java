package io.kiln.cache;

/** Where a cached object came from. */
public enum CacheOutcome {
    /** Compiled by clang for this request. */
    MISS,
    /** Served from memory, possibly after waiting for another request's compile or disk read. */
    MEMORY,
    /** Read from the object store (and verified against its recorded digest). */
    DISK
}
