package io.kiln.maven.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Writes outputs only when their bytes change, so an unchanged build leaves every file (and its
 * modification time, which later plugins compare) alone; removes files a folder no longer should hold.
 */
public final class OutputFiles {
    private OutputFiles() {
    }

    /** Writes {@code bytes} to {@code file} unless it already holds exactly them; true when written. */
    public static boolean writeIfChanged(Path file, byte[] bytes) throws IOException {
        if (Files.isRegularFile(file) && Files.size(file) == bytes.length
                && Arrays.equals(Files.readAllBytes(file), bytes)) {
            return false;
        }
        Files.createDirectories(file.getParent());
        Path temp = file.resolveSibling("." + file.getFileName() + ".kiln-tmp");
        Files.write(temp, bytes);
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return true;
    }

    /**
     * Deletes every regular file under {@code dir} not in {@code keep} (absolute, normalized paths), then
     * folders left empty; returns the deleted files.
     */
    public static List<Path> removeAllBut(Path dir, Set<Path> keep) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> stale;
        try (Stream<Path> walk = Files.walk(dir)) {
            stale = walk.filter(Files::isRegularFile).map(p -> p.toAbsolutePath().normalize())
                    .filter(p -> !keep.contains(p)).sorted().toList();
        }
        for (Path p : stale) {
            Files.deleteIfExists(p);
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path d : walk.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList()) {
                try (Stream<Path> entries = Files.list(d)) {
                    if (!d.equals(dir) && entries.findAny().isEmpty()) {
                        Files.delete(d);
                    }
                }
            }
        }
        return stale;
    }
}
