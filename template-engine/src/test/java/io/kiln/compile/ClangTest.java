package io.kiln.compile;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClangTest {

    @Test
    void explicitPathIsProbedForItsVersion() {
        Clang clang = Clang.locate(TestSources.CLANG);
        assertEquals(Path.of("/usr/bin/clang"), clang.path());
        assertEquals("14.0.6", clang.version());
        assertEquals(14, clang.majorVersion());
        assertTrue(clang.identity().contains("clang version 14.0.6"), clang.identity());
        assertTrue(clang.identity().contains("Target: x86_64"), clang.identity());
        assertEquals("x86_64-linux-gnu", clang.multiarch().orElseThrow());
        assertEquals(Path.of("/usr/include/x86_64-linux-gnu"), clang.multiarchIncludeDir().orElseThrow());
    }

    @Test
    void foundOnPathAndThroughKilnClang() {
        assertEquals(Path.of("/usr/bin/clang"), Clang.locate(null, Map.of("PATH", "/nonexistent:/usr/bin")).path());
        assertEquals(Path.of("/usr/bin/clang-14"),
                Clang.locate(null, Map.of("KILN_CLANG", "/usr/bin/clang-14", "PATH", "/usr/bin")).path());
    }

    @Test
    void bogusExplicitPathGivesOneActionableLine() {
        ClangNotFoundException e = assertThrows(ClangNotFoundException.class,
                () -> Clang.locate(Path.of("/no/such/clang")));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().startsWith("clang not found at /no/such/clang"), e.getMessage());
        assertTrue(e.getMessage().contains("apt-get install clang"), e.getMessage());
    }

    @Test
    void nothingOnPathNamesWhereItLooked(@TempDir Path empty) {
        ClangNotFoundException e = assertThrows(ClangNotFoundException.class,
                () -> Clang.locate(null, Map.of("PATH", empty.toString())));
        assertEquals("clang not found (looked at --clang, KILN_CLANG, PATH): install it with 'apt-get install clang'"
                + " or point KILN_CLANG at it", e.getMessage());
    }

    @Test
    void tooOldClangIsRejectedWithItsVersion(@TempDir Path dir) throws IOException {
        Path fake = fakeClang(dir, "clang", "clang version 9.0.1 (tags/RELEASE_901/final)");
        ClangNotFoundException e = assertThrows(ClangNotFoundException.class, () -> Clang.locate(fake));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().startsWith("clang 9.0.1 at " + fake + " is too old: Kiln needs clang >= 11 for BTF"
                + " and .rodata constants"), e.getMessage());
    }

    @Test
    void tooOldClangOnPathGivesWayToAVersionedOne(@TempDir Path dir) throws IOException {
        fakeClang(dir, "clang", "clang version 9.0.1");
        Clang clang = Clang.locate(null, Map.of("PATH", dir + ":/usr/bin"));
        assertEquals(Path.of("/usr/bin/clang-14"), clang.path());
    }

    @Test
    void somethingThatIsNotClangIsNamed(@TempDir Path dir) throws IOException {
        Path fake = fakeClang(dir, "clang", "gcc (Debian 12.2.0-14) 12.2.0");
        ClangNotFoundException e = assertThrows(ClangNotFoundException.class, () -> Clang.locate(fake));
        assertTrue(e.getMessage().contains("does not look like clang"), e.getMessage());
        assertTrue(e.getMessage().contains("gcc (Debian 12.2.0-14)"), e.getMessage());
    }

    private static Path fakeClang(Path dir, String name, String versionLine) throws IOException {
        Path fake = dir.resolve(name);
        Files.writeString(fake, "#!/bin/sh\necho '" + versionLine + "'\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        return fake;
    }
}
