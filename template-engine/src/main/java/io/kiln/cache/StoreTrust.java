package io.kiln.cache;

import io.kiln.KilnException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Who may have written a store. A digest beside an object proves only that the two were written
 * together, not by whom: whoever can write the store can make the agent (root) load their program.
 * So a trusted store, like ssh's key files, must be owned by this process's user and writable by
 * no one else, and so must every file and folder in it; its parent folders must be owned by this
 * user or root and not writable by others unless sticky (as {@code /tmp}), so no one can swap the
 * whole store. Symbolic links inside a store are refused (they could point anywhere).
 */
public final class StoreTrust {
    private static final Set<PosixFilePermission> OTHERS_WRITE =
            Set.of(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);

    private StoreTrust() {
    }

    /** Checks the store folder, its parents and everything in it; a store that does not exist yet passes. */
    public static void requireTrusted(Path store) {
        Path root = store.toAbsolutePath().normalize();
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            requireParents(root);
            return;
        }
        Path real = realPath(root);
        requireParents(real);
        try (Stream<Path> walk = Files.walk(real)) {
            walk.forEach(p -> requireOwn(real, p));
        } catch (UncheckedIOException e) {
            if (!(e.getCause() instanceof NoSuchFileException)) {
                throw new KilnException("object store " + real + ": cannot check it: " + e.getCause().getMessage(), e);
            }
            // a file evicted while we walked: nothing left to trust
        } catch (IOException e) {
            throw new KilnException("object store " + real + ": cannot check it: " + e.getMessage(), e);
        }
    }

    /** Checks {@code file} (if it exists) and each folder from it up to {@code store}, before reading it. */
    public static void requireTrusted(Path store, Path file) {
        Path root = store.toAbsolutePath().normalize();
        for (Path p = file.toAbsolutePath().normalize(); p != null && p.startsWith(root); p = p.getParent()) {
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                requireOwn(root, p);
            }
        }
    }

    private static void requireOwn(Path root, Path p) {
        PosixFileAttributes a = attributes(root, p);
        if (a == null) {
            return;
        }
        if (a.isSymbolicLink() && !p.equals(root)) {
            throw untrusted(root, p, a, "is a symbolic link");
        }
        if (mine(p, a)) {
            if (!writableByOthers(a)) {
                return;
            }
            throw untrusted(root, p, a, "is writable by others than its owner");
        }
        throw untrusted(root, p, a, "is owned by " + a.owner().getName() + " (uid " + ownerUid(p) + "), not by " + userName()
                + " (uid " + uid() + ") who runs Kiln");
    }

    private static void requireParents(Path root) {
        for (Path p = root.getParent(); p != null; p = p.getParent()) {
            PosixFileAttributes a = attributes(root, p);
            if (a == null) {
                continue;
            }
            String owner = a.owner().getName();
            if (!mine(p, a) && ownerUid(p) != 0) {
                throw untrusted(root, p, a, "(a parent folder) is owned by " + owner + ", who could replace the store");
            }
            if (writableByOthers(a) && !sticky(p)) {
                throw untrusted(root, p, a, "(a parent folder) is writable by others, who could replace the store");
            }
        }
    }

    private static boolean mine(Path p, PosixFileAttributes a) {
        long uid = uid();
        long owner = ownerUid(p);
        return uid >= 0 && owner >= 0 ? uid == owner : a.owner().getName().equals(userName());
    }

    private static long ownerUid(Path p) {
        try {
            return ((Number) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue();
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return -1;
        }
    }

    private static boolean writableByOthers(PosixFileAttributes a) {
        return !a.isSymbolicLink() && a.permissions().stream().anyMatch(OTHERS_WRITE::contains);
    }

    private static boolean sticky(Path dir) {
        try {
            Object mode = Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return mode instanceof Integer m && (m & 01000) != 0;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    private static PosixFileAttributes attributes(Path root, Path p) {
        try {
            return Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        } catch (UnsupportedOperationException e) {
            throw new KilnException("object store " + root + ": the file system cannot say who owns " + p
                    + ", so the store cannot be trusted");
        } catch (IOException e) {
            throw new KilnException("object store " + root + ": cannot check " + p + ": " + e.getMessage(), e);
        }
    }

    private static Path realPath(Path root) {
        try {
            return root.toRealPath();
        } catch (IOException e) {
            throw new KilnException("object store " + root + ": cannot resolve it: " + e.getMessage(), e);
        }
    }

    private static KilnException untrusted(Path root, Path p, PosixFileAttributes a, String why) {
        return new KilnException("object store " + root + " is not trusted: " + p + " " + why + " (owner "
                + a.owner().getName() + ", group " + a.group().getName() + ", mode "
                + PosixFilePermissions.toString(a.permissions()) + "); only its own user may write a store"
                + " whose objects Kiln loads: fix it with chown/chmod go-w, or use another --cache-dir");
    }

    private static String userName() {
        return System.getProperty("user.name");
    }

    /** The effective uid, from /proc (the JDK has no call for it); -1 where there is no /proc. */
    static long uid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.US_ASCII)) {
                if (line.startsWith("Uid:")) {
                    return Long.parseLong(line.substring(4).trim().split("\\s+")[1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through: the owner is then compared by name only
        }
        return -1;
    }
}
