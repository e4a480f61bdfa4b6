package io.kiln.maven.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * SHA-256 of files, each read once per build however many variants include it. {@link #ABSENT} for a
 * file that does not exist.
 */
public final class Digests {
    public static final String ABSENT = "absent";

    private final Map<Path, String> memo = new ConcurrentHashMap<>();

    public String of(Path file) {
        return memo.computeIfAbsent(file.toAbsolutePath().normalize(), Digests::compute);
    }

    /** Forgets a file's digest, after this build wrote it. */
    public void forget(Path file) {
        memo.remove(file.toAbsolutePath().normalize());
    }

    public static String of(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }

    private static String compute(Path file) {
        MessageDigest sha = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha.update(buffer, 0, n);
            }
        } catch (NoSuchFileException e) {
            return ABSENT;
        } catch (IOException e) {
            // unreadable counts as changed: the next step reads it again and reports the real error
            return "unreadable: " + e.getMessage();
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
