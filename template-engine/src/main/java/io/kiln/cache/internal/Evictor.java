package io.kiln.cache.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Keeps a store folder under its size bound by deleting least recently used entries first. An entry
 * is an object with its digest file, or a manifest; "used" is the primary file's mtime, which the
 * store sets on every hit. Temp files older than an hour are debris of a crashed writer.
 */
public final class Evictor {
    /** Suffix of the digest file kept beside each object. */
    public static final String DIGEST_SUFFIX = ".sha256";
    private static final Duration STALE_TEMP = Duration.ofHours(1);

    private Evictor() {
    }

    private static final class Entry {
        final Path primary;
        final List<Path> files = new ArrayList<>();
        long size;
        FileTime used;

        Entry(Path primary) {
            this.primary = primary;
        }
    }

    /** Total bytes of regular files under {@code roots}. */
    public static long size(List<Path> roots) throws IOException {
        long total = 0;
        for (Path root : roots) {
            for (Path file : files(root)) {
                total += sizeOf(file);
            }
        }
        return total;
    }

    /**
     * Deletes least recently used entries until {@code roots} hold at most {@code maxBytes}; never
     * those in {@code keep}. Returns the bytes left.
     */
    public static long evict(List<Path> roots, long maxBytes, Set<Path> keep) throws IOException {
        Map<Path, Entry> entries = new HashMap<>();
        long total = 0;
        Instant staleBefore = Instant.now().minus(STALE_TEMP);
        for (Path root : roots) {
            for (Path file : files(root)) {
                BasicFileAttributes attrs;
                try {
                    attrs = Files.readAttributes(file, BasicFileAttributes.class);
                } catch (NoSuchFileException e) {
                    continue;
                }
                String name = file.getFileName().toString();
                if (name.startsWith(AtomicFiles.TEMP_PREFIX)) {
                    if (attrs.lastModifiedTime().toInstant().isBefore(staleBefore)) {
                        Files.deleteIfExists(file);
                    } else {
                        total += attrs.size();
                    }
                    continue;
                }
                Path primary = name.endsWith(DIGEST_SUFFIX)
                        ? file.resolveSibling(name.substring(0, name.length() - DIGEST_SUFFIX.length())) : file;
                Entry entry = entries.computeIfAbsent(primary, Entry::new);
                entry.files.add(file);
                entry.size += attrs.size();
                if (file.equals(primary) || entry.used == null) {
                    entry.used = attrs.lastModifiedTime();
                }
                total += attrs.size();
            }
        }
        if (total <= maxBytes) {
            return total;
        }
        List<Entry> byAge = new ArrayList<>(entries.values());
        byAge.sort(Comparator.comparing((Entry e) -> e.used));
        for (Entry entry : byAge) {
            if (total <= maxBytes) {
                break;
            }
            if (keep.contains(entry.primary)) {
                continue;
            }
            // digest first: a reader that still finds the object without its digest treats it as a miss
            entry.files.sort(Comparator.comparing((Path p) -> !p.toString().endsWith(DIGEST_SUFFIX)));
            for (Path file : entry.files) {
                Files.deleteIfExists(file);
            }
            total -= entry.size;
        }
        return total;
    }

    private static List<Path> files(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile).toList();
        } catch (java.io.UncheckedIOException e) {
            // another process deleted a folder while we walked it: count again next time
            return List.of();
        }
    }

    private static long sizeOf(Path file) throws IOException {
        try {
            return Files.size(file);
        } catch (NoSuchFileException e) {
            return 0;
        }
    }
}
