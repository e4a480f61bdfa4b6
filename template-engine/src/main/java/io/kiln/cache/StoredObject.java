package io.kiln.cache;

import java.nio.file.Path;
import java.util.Arrays;

/** An object read back from an {@link ObjectStore}, already checked against its recorded digest. */
public record StoredObject(VariantKey key, byte[] bytes, Path file) {
    public StoredObject {
        bytes = bytes.clone();
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StoredObject other && key.equals(other.key) && Arrays.equals(bytes, other.bytes)
                && file.equals(other.file);
    }

    @Override
    public int hashCode() {
        return key.hashCode();
    }

    @Override
    public String toString() {
        return "StoredObject[" + key.shortForm() + ", " + bytes.length + " bytes]";
    }
}
