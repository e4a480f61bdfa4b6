package io.kiln.cache.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Mutual exclusion over one store folder, between threads and between processes. A {@link FileLock}
 * is held per JVM, not per thread (a second lock on the same file from the same JVM throws), so
 * threads first queue on an in-JVM lock per folder.
 */
public final class StoreLock {
    private static final ConcurrentMap<Path, ReentrantLock> IN_JVM = new ConcurrentHashMap<>();

    private StoreLock() {
    }

    public interface IoAction<T> {
        T run() throws IOException;
    }

    public static <T> T withLock(Path lockFile, IoAction<T> action) throws IOException {
        ReentrantLock local = IN_JVM.computeIfAbsent(lockFile.toAbsolutePath().normalize(), p -> new ReentrantLock());
        local.lock();
        // writable by its owner only, like every file in a store (StoreTrust)
        try (FileChannel channel = FileChannel.open(lockFile, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")))) {
            FileLock lock = channel.lock();
            try {
                return action.run();
            } finally {
                lock.release();
            }
        } finally {
            local.unlock();
        }
    }
}
