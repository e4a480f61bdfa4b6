package io.kiln.compile.internal;

import io.kiln.KilnException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** A fresh private folder for one clang run, deleted with everything in it on close. */
public final class WorkDir implements AutoCloseable {
    private final Path path;

    private WorkDir(Path path) {
        this.path = path;
    }

    public static WorkDir create() {
        try {
            return new WorkDir(Files.createTempDirectory("kiln-clang-"));
        } catch (IOException e) {
            throw new KilnException("cannot create a temporary folder for clang in "
                    + System.getProperty("java.io.tmpdir") + ": " + e.getMessage(), e);
        }
    }

    public Path path() {
        return path;
    }

    @Override
    public void close() {
        try (Stream<Path> files = Files.walk(path)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // a leftover temp folder is untidy, not wrong: never let it hide the compile's own outcome
        }
    }
}
