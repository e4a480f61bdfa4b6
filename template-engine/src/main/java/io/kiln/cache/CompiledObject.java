package io.kiln.cache;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * A variant's BPF object. {@code file} is where the object store keeps it (null when the store could
 * not keep it: read-only or full); another process may evict it later, so hand {@link #bytes()} to whoever must not see it vanish. {@code headers} are the
 * headers (absolute, on this machine) its key was computed from.
 */
public record CompiledObject(VariantKey key, byte[] bytes, Path file, List<Path> headers) {
    public CompiledObject {
        bytes = bytes.clone();
        headers = List.copyOf(headers);
    }

    /** A copy: the cache hands the same object to many callers, none may change what the others see. */
    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    public int size() {
        return bytes.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CompiledObject other && key.equals(other.key) && Arrays.equals(bytes, other.bytes)
                && java.util.Objects.equals(file, other.file) && headers.equals(other.headers);
    }

    @Override
    public int hashCode() {
        return key.hashCode();
    }

    @Override
    public String toString() {
        return "CompiledObject[" + key.shortForm() + ", " + bytes.length + " bytes, " + file + "]";
    }
}
