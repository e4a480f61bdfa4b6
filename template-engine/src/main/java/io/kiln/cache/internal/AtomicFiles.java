package io.kiln.cache.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

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
        // not Files.createTempFile: its files are private (0600), and a store may be shared by a
        // build user and an agent; a plain new file gets the umask's usual permissions
        Path temp = dir.resolve(TEMP_PREFIX + UUID.randomUUID() + ".part");
        try {
            Files.write(temp, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
