package io.kiln.cache.internal;

import io.kiln.Sha256;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Hashes header contents, remembering each file's hash by its size, mtime and inode so that an
 * unchanged header is not read again on every request.
 *
 * <p>The shortcut has git's "racy" problem: a file rewritten within its mtime granularity right
 * after being hashed keeps size and mtime but not content. Like git, a hash is only remembered when
 * the file was last modified well before it was read, so any later write must change the mtime.
 */
public final class HeaderHasher {
    private static final long RACY_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(2);

    private record Stat(long size, long mtimeNanos, Object fileKey) {
    }

    private record Known(Stat stat, String sha256) {
    }

    private final Cache<Path, Known> known = Caffeine.newBuilder().maximumSize(100_000).build();

    /** SHA-256 of the file's current content. */
    public String sha256(Path file) throws IOException {
        Stat before = stat(file);
        Known k = known.getIfPresent(file);
        if (k != null && k.stat().equals(before)) {
            return k.sha256();
        }
        long readAt = System.currentTimeMillis() * 1_000_000L;
        String sha = Sha256.of(Files.readAllBytes(file));
        Stat after = stat(file);
        if (before.equals(after) && after.mtimeNanos() < readAt - RACY_WINDOW_NANOS) {
            known.put(file, new Known(after, sha));
        } else {
            known.invalidate(file);
        }
        return sha;
    }

    private static Stat stat(Path file) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        return new Stat(a.size(), a.lastModifiedTime().to(TimeUnit.NANOSECONDS), Objects.requireNonNullElse(a.fileKey(), ""));
    }
}
