package io.kiln;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The one SHA-256 helper, as lower-case hex. Plain digests of bytes or a file ({@link #of}), or a
 * digest over a sequence of {@link #field fields}, each length-prefixed so that no two different field
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

    /** Adds bytes as they are, no length prefix: for callers whose recorded digests have their own framing. */
    public Sha256 raw(byte[] bytes) {
        digest.update(bytes);
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

    /** Plain SHA-256 of a file's content, read in chunks. */
    public static String of(Path file) throws IOException {
        Sha256 sha = new Sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha.digest.update(buffer, 0, n);
            }
        }
        return sha.hex();
    }
}
