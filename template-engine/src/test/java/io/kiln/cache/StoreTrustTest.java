package io.kiln.cache;

import io.kiln.KilnException;
import io.kiln.Sha256;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** A trusted store is one only this user can have written: checked when opened and before each read. */
class StoreTrustTest {
    private static final VariantKey KEY = VariantKey.of(Sha256.of("k".getBytes(StandardCharsets.UTF_8)));
    private static final byte[] BYTES = {0x7f, 'E', 'L', 'F', 1, 2, 3};

    private static void assumeRoot() {
        assumeTrue("root".equals(System.getProperty("user.name")), "giving a file to another user (uid 65534) needs root");
    }

    @Test
    void aStoreOfThisUserAloneIsOpenedAndItsWritesStayOwnerWritable(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("store");
        ObjectStore store = ObjectStore.trusted(dir, 1 << 20);
        store.write(KEY, BYTES);
        store.evictNow();
        assertArrayEquals(BYTES, store.read(KEY).orElseThrow().bytes());
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.toList()) {
                String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
                assertTrue(mode.charAt(4) != 'w' && mode.charAt(7) != 'w', p + " is " + mode);
            }
        }
        ObjectStore.trusted(dir, 1 << 20); // reopening what it wrote passes
    }

    @Test
    void aFileOfAnotherUserIsRefusedNamingItsPathOwnerAndMode(@TempDir Path tmp) throws IOException {
        assumeRoot();
        Path dir = tmp.resolve("store");
        Path object = new ObjectStore(dir, 1 << 20).write(KEY, BYTES);
        Files.setAttribute(object, "unix:uid", 65534);
        KilnException e = assertThrows(KilnException.class, () -> ObjectStore.trusted(dir, 1 << 20));
        assertTrue(e.getMessage().startsWith("object store " + dir.toRealPath() + " is not trusted: "), e.getMessage());
        assertTrue(e.getMessage().contains(object.getFileName() + " is owned by ") && e.getMessage().contains("(uid 65534)")
                && e.getMessage().contains("mode rw-"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
    }

    @Test
    void aFileReplacedAfterOpeningIsRefusedOnRead(@TempDir Path tmp) throws IOException {
        assumeRoot();
        Path dir = tmp.resolve("store");
        ObjectStore store = ObjectStore.trusted(dir, 1 << 20);
        Path object = store.write(KEY, BYTES);
        Path digest = object.resolveSibling(object.getFileName() + ".sha256");
        Files.setAttribute(digest, "unix:uid", 65534);
        KilnException e = assertThrows(KilnException.class, () -> store.read(KEY));
        assertTrue(e.getMessage().contains(digest + " is owned by ") && e.getMessage().contains("(uid 65534)"), e.getMessage());
        // an untrusted store (a build's cache) does not look at owners
        assertArrayEquals(BYTES, new ObjectStore(dir, 1 << 20).read(KEY).orElseThrow().bytes());
    }

    @Test
    void aFolderOthersCanWriteIsRefused(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("store");
        Path object = new ObjectStore(dir, 1 << 20).write(KEY, BYTES);
        Files.setPosixFilePermissions(object.getParent(), PosixFilePermissions.fromString("rwxrwxrwx"));
        KilnException e = assertThrows(KilnException.class, () -> ObjectStore.trusted(dir, 1 << 20));
        assertTrue(e.getMessage().contains(object.getParent() + " is writable by others than its owner"),
                e.getMessage());
        assertTrue(e.getMessage().contains("mode rwxrwxrwx"), e.getMessage());
    }

    @Test
    void aParentOthersCanReplaceTheStoreInIsRefused(@TempDir Path tmp) throws IOException {
        Path parent = Files.createDirectory(tmp.resolve("shared"));
        Files.setPosixFilePermissions(parent, PosixFilePermissions.fromString("rwxrwxrwx"));
        KilnException e = assertThrows(KilnException.class, () -> ObjectStore.trusted(parent.resolve("store"), 1 << 20));
        assertTrue(e.getMessage().contains(parent + " (a parent folder) is writable by others"), e.getMessage());
    }

    @Test
    void aSymbolicLinkInsideTheStoreIsRefused(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("store");
        new ObjectStore(dir, 1 << 20).write(KEY, BYTES);
        Files.createSymbolicLink(dir.resolve("objects/elsewhere"), tmp);
        KilnException e = assertThrows(KilnException.class, () -> ObjectStore.trusted(dir, 1 << 20));
        assertTrue(e.getMessage().contains("is a symbolic link"), e.getMessage());
    }
}
