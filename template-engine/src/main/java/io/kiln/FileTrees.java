package io.kiln;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Deletes a file tree. The one place that does so, so that every caller gets the same care with links. */
public final class FileTrees {
    private FileTrees() {
    }

    /**
     * Deletes {@code root} and everything under it; nothing when it does not exist. Symbolic links
     * are deleted, never followed, so nothing outside the tree is touched (a bpffs pin is a file
     * like any other here). Fails on the first entry it cannot delete.
     */
    public static void delete(Path root) throws IOException {
        List<Path> all;
        try (Stream<Path> walk = Files.walk(root)) {
            all = walk.sorted(Comparator.reverseOrder()).toList();
        } catch (NoSuchFileException e) {
            return;
        }
        for (Path p : all) {
            Files.deleteIfExists(p);
        }
    }

    /** {@link #delete}, for temporary folders: a leftover is untidy, not wrong; returns false when some remained. */
    public static boolean deleteQuietly(Path root) {
        try {
            delete(root);
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
