package io.kiln.cache;

import java.util.regex.Pattern;

/**
 * Identifies a variant's object: the SHA-256 (64 lowercase hex characters) of everything that decides
 * its bytes: the rendered source and its file name, the contents of every header it includes (each
 * named relative to its include folder), the clang identity and version, the flags and the target.
 * Same key, same object.
 */
public record VariantKey(String hex) {
    private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");

    public VariantKey {
        if (hex == null || !HEX.matcher(hex).matches()) {
            throw new IllegalArgumentException("a variant key is 64 lowercase hex characters, got '" + hex + "'");
        }
    }

    /** Parses a key as printed by {@link #toString()}. */
    public static VariantKey of(String hex) {
        return new VariantKey(hex);
    }

    /** The first 12 hex characters: enough to tell variants apart in logs and listings. */
    public String shortForm() {
        return hex.substring(0, 12);
    }

    @Override
    public String toString() {
        return hex;
    }
}
