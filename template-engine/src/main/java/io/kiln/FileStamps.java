package io.kiln;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Files told apart without reading them: kind, size, modification time (ns where the file system
 * keeps them) and file key (device and inode) of what a path names, links followed. Two identities of
 * one path are equal while the file was not written, replaced or removed. Used where a stat is worth
 * a hash: the plugin's no-change shortcut and the agent's memo of variants. An identity taken within
 * {@link #RACY_NANOS} of the file's last write is not to be trusted (the file could be written again
 * inside the same timestamp tick): {@link #tooFresh}.
 */
public final class FileStamps {
    /** How close to a write an identity may not be trusted. */
    public static final long RACY_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final int MAX_DEPTH = 8;

    private FileStamps() {
    }

    /** {@code KIND SIZE MTIME_NS KEY} with KIND file, dir or other; {@code absent} when nothing is there. */
    public static String identity(Path p) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(p, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return "absent";
        }
        String kind = a.isDirectory() ? "dir" : a.isRegularFile() ? "file" : "other";
        return kind + " " + (a.isDirectory() ? 0 : a.size()) + " " + a.lastModifiedTime().to(TimeUnit.NANOSECONDS) + " "
                + a.fileKey();
    }

    /**
     * Adds the identity of {@code folder} and of everything below it (to depth 8) to {@code into}, by
     * path; a path that is not a folder is added alone. False, adding nothing, when there are more than
     * {@code maxEntries} (not worth it).
     */
    public static boolean list(Path folder, Map<String, String> into, int maxEntries) throws IOException {
        if (!Files.isDirectory(folder)) {
            into.put(folder.toString(), identity(folder));
            return true;
        }
        List<Path> found = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(folder, MAX_DEPTH)) {
            walk.limit(maxEntries + 1L).forEach(found::add);
        }
        if (found.size() > maxEntries) {
            return false;
        }
        for (Path p : found) {
            into.put(p.toString(), identity(p));
        }
        return true;
    }

    /** True when the identity's file was modified less than {@link #RACY_NANOS} before {@code takenAtNanos}. */
    public static boolean tooFresh(String identity, long takenAtNanos) {
        String[] f = identity.split(" ");
        if (f.length < 3) {
            return false;
        }
        return Long.parseLong(f[2]) > takenAtNanos - RACY_NANOS;
    }

    /** Now, in the nanoseconds of the epoch that {@link #identity} uses for modification times. */
    public static long nowNanos() {
        return System.currentTimeMillis() * 1_000_000L;
    }
}
