package io.kiln;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileTreesTest {
    @TempDir
    Path tmp;

    @Test
    void deletesATreeAndIgnoresAMissingOne() throws Exception {
        Path root = tmp.resolve("a");
        Files.createDirectories(root.resolve("b/c"));
        Files.writeString(root.resolve("b/c/f"), "x");
        Files.writeString(root.resolve("g"), "y");
        FileTrees.delete(root);
        assertFalse(Files.exists(root));
        FileTrees.delete(root);
        assertTrue(FileTrees.deleteQuietly(root));
    }

    @Test
    void deletesLinksWithoutFollowingThem() throws Exception {
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("keep"), "k");
        Path root = Files.createDirectories(tmp.resolve("root"));
        Files.createSymbolicLink(root.resolve("link"), outside);
        FileTrees.delete(root);
        assertFalse(Files.exists(root));
        assertEquals("k", Files.readString(outside.resolve("keep")));
    }

    @Test
    void sha256OfBytesAndFileAgreeWithSha256sum() throws Exception {
        byte[] abc = "abc".getBytes(StandardCharsets.US_ASCII);
        String expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assertEquals(expected, Sha256.of(abc));
        Path f = Files.write(tmp.resolve("abc"), abc);
        assertEquals(expected, Sha256.of(f));
        assertEquals(expected, new Sha256().raw(abc).hex());
        assertArrayEquals(abc, Files.readAllBytes(f));
    }
}
