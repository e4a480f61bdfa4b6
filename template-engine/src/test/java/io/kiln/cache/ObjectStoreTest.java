package io.kiln.cache;

import io.kiln.Sha256;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ObjectStoreTest {

    private static VariantKey key(int n) {
        return VariantKey.of(Sha256.of(("key " + n).getBytes(StandardCharsets.UTF_8)));
    }

    private static byte[] bytes(int n, int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (n * 31 + i);
        }
        return b;
    }

    @Test
    void writesContentAddressedFilesAtomically(@TempDir Path dir) throws IOException {
        ObjectStore store = new ObjectStore(dir, 1 << 20);
        VariantKey key = key(1);
        Path file = store.write(key, bytes(1, 1000));

        assertEquals(dir.resolve("objects").resolve(key.hex().substring(0, 2)).resolve(key.hex() + ".o"), file);
        assertArrayEquals(bytes(1, 1000), Files.readAllBytes(file), "the object file is the object, nothing added");
        assertEquals(Sha256.of(bytes(1, 1000)) + "  " + key.hex() + ".o\n",
                Files.readString(file.resolveSibling(key.hex() + ".o.sha256")), "sha256sum -c can check it");
        try (Stream<Path> files = Files.walk(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(".tmp-")), "no temp file left");
        }
        StoredObject read = store.read(key).orElseThrow();
        assertArrayEquals(bytes(1, 1000), read.bytes());
        assertEquals(file, read.file());
        assertTrue(store.read(key(2)).isEmpty());
    }

    @Test
    void corruptOrTruncatedObjectsAreDeletedAndNeverReturned(@TempDir Path dir) throws IOException {
        java.util.List<String> warnings = new java.util.ArrayList<>();
        ObjectStore store = new ObjectStore(dir, 1 << 20).onWarning(warnings::add);
        Path flipped = store.write(key(1), bytes(1, 500));
        byte[] b = Files.readAllBytes(flipped);
        b[7] ^= (byte) 0x80;
        Files.write(flipped, b);
        assertTrue(store.read(key(1)).isEmpty());
        assertFalse(Files.exists(flipped), "the corrupt object is deleted");
        assertEquals(1, warnings.size(), "a corrupt object is said, not only counted: " + warnings);
        assertTrue(warnings.get(0).contains(flipped + " is corrupt (its SHA-256 does not match")
                && warnings.get(0).contains("compiling it again"), warnings.get(0));

        Path truncated = store.write(key(2), bytes(2, 500));
        Files.write(truncated, new byte[0]);
        assertTrue(store.read(key(2)).isEmpty());

        store.write(key(3), bytes(3, 500));
        Files.writeString(dir.resolve("objects").resolve(key(3).hex().substring(0, 2)).resolve(key(3).hex() + ".o.sha256"),
                "not a digest");
        assertTrue(store.read(key(3)).isEmpty());
        assertEquals(3, store.corruptObjectsDetected());

        store.write(key(1), bytes(1, 500));
        assertArrayEquals(bytes(1, 500), store.read(key(1)).orElseThrow().bytes(), "a rewrite heals it");
    }

    @Test
    void objectWithoutDigestIsAMiss(@TempDir Path dir) throws IOException {
        ObjectStore store = new ObjectStore(dir, 1 << 20);
        Path file = store.write(key(1), bytes(1, 100));
        Files.delete(file.resolveSibling(file.getFileName() + ".sha256"));
        assertTrue(store.read(key(1)).isEmpty());
    }

    @Test
    void evictsLeastRecentlyUsedFirst(@TempDir Path dir) throws IOException {
        int size = 1000;
        int digestLine = 64 + 2 + 64 + 2 + 1;
        ObjectStore store = new ObjectStore(dir, 3L * (size + digestLine));
        long now = System.currentTimeMillis();
        for (int n = 1; n <= 3; n++) {
            Path file = store.write(key(n), bytes(n, size));
            Files.setLastModifiedTime(file, FileTime.fromMillis(now - 60_000 + n * 1000L));
        }
        assertTrue(store.read(key(1)).isPresent(), "a hit makes key 1 the most recently used");
        store.write(key(4), bytes(4, size));

        assertTrue(store.sizeBytes() <= store.maxBytes(), store.sizeBytes() + " > " + store.maxBytes());
        assertTrue(store.read(key(2)).isEmpty(), "key 2 was least recently used");
        for (int n : List.of(1, 3, 4)) {
            assertTrue(store.read(key(n)).isPresent(), "key " + n + " kept");
        }
    }

    @Test
    void anObjectLargerThanTheBoundIsKeptUntilTheNextWrite(@TempDir Path dir) {
        ObjectStore store = new ObjectStore(dir, 100);
        store.write(key(1), bytes(1, 1000));
        assertTrue(store.read(key(1)).isPresent(), "the object just written is never evicted by its own write");
        store.write(key(2), bytes(2, 1000));
        assertTrue(store.read(key(1)).isEmpty());
        assertTrue(store.read(key(2)).isPresent());
    }

    @Test
    void evictionSeesWhatOtherStoresWrote(@TempDir Path dir) {
        ObjectStore mine = new ObjectStore(dir, 5_000);
        ObjectStore other = new ObjectStore(dir, 1 << 20);
        mine.write(key(1), bytes(1, 1000));
        for (int n = 2; n <= 9; n++) {
            other.write(key(n), bytes(n, 1000));
        }
        mine.evictNow();
        assertTrue(mine.sizeBytes() <= 5_000, "size " + mine.sizeBytes());
    }

    @Test
    void staleTempFilesOfCrashedWritersAreRemoved(@TempDir Path dir) throws IOException {
        ObjectStore store = new ObjectStore(dir, 1 << 20);
        Path shard = Files.createDirectories(dir.resolve("objects/ab"));
        Path stale = Files.write(shard.resolve(".tmp-123.part"), new byte[10]);
        Files.setLastModifiedTime(stale, FileTime.fromMillis(System.currentTimeMillis() - 2 * 3_600_000L));
        Path fresh = Files.write(shard.resolve(".tmp-456.part"), new byte[10]);
        store.evictNow();
        assertFalse(Files.exists(stale));
        assertTrue(Files.exists(fresh), "a temp file being written right now is left alone");
    }

    @Test
    void manifestsRoundTripAndDamagedOnesAreDropped(@TempDir Path dir) throws IOException {
        ObjectStore store = new ObjectStore(dir, 1 << 20);
        String inputKey = Sha256.of("input".getBytes(StandardCharsets.UTF_8));
        DependencyManifest manifest = new DependencyManifest(inputKey, key(1),
                List.of(new DependencyManifest.Header(Path.of("/src/lib/a b.h"), "../lib/a b.h", Sha256.of(new byte[0]))),
                List.of(Path.of("/src/templates/a b.h")));
        store.writeManifest(manifest);
        assertEquals(manifest, store.readManifest(inputKey).orElseThrow());

        Path file = dir.resolve("manifests").resolve(inputKey.substring(0, 2)).resolve(inputKey + ".json");
        Files.writeString(file, "{\"version\":1,\"inputKey\":\"" + inputKey + "\"");
        assertTrue(store.readManifest(inputKey).isEmpty());
        assertFalse(Files.exists(file));
        assertTrue(store.readManifest(Sha256.of(new byte[1])).isEmpty());
    }

    @Test
    void defaultDirAndBounds() {
        String env = System.getenv("KILN_CACHE_DIR");
        Path expected = env != null && !env.isBlank() ? Path.of(env).toAbsolutePath()
                : Path.of(System.getProperty("user.home"), ".cache/kiln");
        assertEquals(expected, ObjectStore.defaultDir());
        assertThrows(IllegalArgumentException.class, () -> new ObjectStore(Path.of("x"), 0));
    }

    @Test
    void theAgentIndexIsEvictedWithTheObjects(@TempDir Path dir) throws IOException {
        ObjectStore store = new ObjectStore(dir, 10_000);
        Path index = dir.resolve(ObjectStore.AGENT_INDEX).resolve("ab").resolve("ab12.json");
        Files.createDirectories(index.getParent());
        Files.write(index, new byte[20_000]);
        Files.setLastModifiedTime(index, FileTime.fromMillis(System.currentTimeMillis() - 60_000));
        store.write(key(1), bytes(1, 1000));
        store.evictNow();
        assertFalse(Files.exists(index), "an old index entry is evicted like an old object");
        assertTrue(store.sizeBytes() <= 10_000, "the index counts against the bound");
        assertTrue(store.read(key(1)).isPresent());
    }
}
