package io.kiln.compile.internal;

import io.kiln.FileTrees;
import io.kiln.KilnException;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A fresh private folder for one clang run, deleted with everything in it on close. Its name carries
 * the JVM's pid, so folders left by a process killed with -9 are recognised and removed by the
 * first compile of a later one.
 */
public final class WorkDir implements AutoCloseable {
    private static final String PREFIX = "kiln-clang-";
    private static final Pattern NAME = Pattern.compile(Pattern.quote(PREFIX) + "(\\d+)-\\d+");
    private static final AtomicBoolean SWEPT = new AtomicBoolean();

    private final Path path;

    private WorkDir(Path path) {
        this.path = path;
    }

    public static WorkDir create() {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        if (SWEPT.compareAndSet(false, true)) {
            removeStale(tmp);
        }
        try {
            return new WorkDir(Files.createTempDirectory(tmp, PREFIX + ProcessHandle.current().pid() + "-"));
        } catch (IOException e) {
            throw new KilnException("cannot create a temporary folder for clang in " + tmp + ": " + e.getMessage(), e);
        }
    }

    /** Deletes the work folders in {@code tmp} whose process is gone; returns how many. */
    public static int removeStale(Path tmp) {
        int removed = 0;
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmp, PREFIX + "*")) {
            for (Path dir : dirs) {
                Matcher m = NAME.matcher(dir.getFileName().toString());
                if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()
                        && FileTrees.deleteQuietly(dir)) {
                    removed++;
                }
            }
        } catch (IOException | RuntimeException e) {
            // tidying up is best effort: never let it stop a compile
        }
        return removed;
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
