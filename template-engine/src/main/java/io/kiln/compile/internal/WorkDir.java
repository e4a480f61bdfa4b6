package io.kiln.compile.internal;

import io.kiln.FileTrees;
import io.kiln.KilnException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

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
        // a leftover temp folder is untidy, not wrong: never let it hide the compile's own outcome
        FileTrees.deleteQuietly(path);
    }
}
