package io.kiln.cache.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * SHA-256 over a sequence of fields. Each field is length-prefixed so that no two different field
 * lists (e.g. {@code "ab","c"} and {@code "a","bc"}) can hash alike.
 */
public final class Sha256 {
    private final MessageDigest digest;

    public Sha256() {
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    public Sha256 field(String value) {
        return field(value.getBytes(StandardCharsets.UTF_8));
    }

    public Sha256 field(byte[] value) {
        long n = value.length;
        for (int shift = 56; shift >= 0; shift -= 8) {
            digest.update((byte) (n >>> shift));
        }
        digest.update(value);
        return this;
    }

    public String hex() {
        return HexFormat.of().formatHex(digest.digest());
    }

    /** Plain SHA-256 of the bytes (no length prefix), as {@code sha256sum} prints it. */
    public static String of(byte[] bytes) {
        Sha256 sha = new Sha256();
        sha.digest.update(bytes);
        return sha.hex();
    }
}
