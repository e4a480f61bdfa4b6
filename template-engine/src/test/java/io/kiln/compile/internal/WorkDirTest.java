package io.kiln.compile.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** clang work folders left by a process killed with -9 are removed; a live process's are not. */
class WorkDirTest {
    @Test
    void foldersOfDeadProcessesAreRemovedAtStart(@TempDir Path tmp) throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path stale = Files.createDirectories(tmp.resolve("kiln-clang-" + gone.pid() + "-123/nested"));
        Files.writeString(stale.resolve("prog.o"), "left by kill -9");
        Path live = Files.createDirectories(tmp.resolve("kiln-clang-" + ProcessHandle.current().pid() + "-456"));
        Path other = Files.createDirectories(tmp.resolve("kiln-clang-notours"));

        assertEquals(1, WorkDir.removeStale(tmp));
        assertFalse(Files.exists(stale.getParent()));
        assertTrue(Files.isDirectory(live), "a running process's folder stays");
        assertTrue(Files.isDirectory(other), "a name Kiln did not make stays");
    }

    @Test
    void aWorkFolderIsNamedByItsProcessAndDeletedOnClose() {
        Path path;
        try (WorkDir w = WorkDir.create()) {
            path = w.path();
            assertTrue(path.getFileName().toString().startsWith("kiln-clang-" + ProcessHandle.current().pid() + "-"));
        }
        assertFalse(Files.exists(path));
    }
}
