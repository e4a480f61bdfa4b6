package io.kiln.maven.internal;

import io.kiln.Sha256;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * SHA-256 of files, each read once per build however many variants include it. {@link #ABSENT} for a
 * file that does not exist.
 */
public final class FileDigests {
    public static final String ABSENT = "absent";

    private final Map<Path, String> memo = new ConcurrentHashMap<>();

    public String of(Path file) {
        return memo.computeIfAbsent(file.toAbsolutePath().normalize(), FileDigests::compute);
    }

    /** Forgets a file's digest, after this build wrote it. */
    public void forget(Path file) {
        memo.remove(file.toAbsolutePath().normalize());
    }

    private static String compute(Path file) {
        try {
            return Sha256.of(file);
        } catch (NoSuchFileException e) {
            return ABSENT;
        } catch (IOException e) {
            // unreadable counts as changed: the next step reads it again and reports the real error
            return "unreadable: " + e.getMessage();
        }
    }
}
