package io.kiln.cache.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes a file so that readers, in this process or another, see either the old file or the whole
 * new one: the bytes go to a temp file in the same folder (same file system), which is then renamed.
 */
public final class AtomicFiles {
    /** Prefix of in-flight temp files; eviction removes old ones a crashed writer left behind. */
    public static final String TEMP_PREFIX = ".tmp-";

    private AtomicFiles() {
    }

    public static void write(Path target, byte[] bytes) throws IOException {
        Path dir = target.getParent();
        Files.createDirectories(dir);
        Path temp = Files.createTempFile(dir, TEMP_PREFIX, ".part");
        try {
            Files.write(temp, bytes);
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
