package io.kiln.cache;

import io.kiln.KilnException;
import io.kiln.cache.internal.AtomicFiles;
import io.kiln.cache.internal.Evictor;
import io.kiln.cache.internal.ManifestCodec;
import io.kiln.Sha256;
import io.kiln.cache.internal.StoreLock;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * Objects on disk, addressed by variant key, plus the dependency manifests that map a rendered
 * source to its key without clang. Layout under {@link #dir()}:
 * <pre>
 *   objects/ab/abcd…ef.o          the ELF object, exactly as clang wrote it (libbpf can open it)
 *   objects/ab/abcd…ef.o.sha256   its SHA-256 in sha256sum format, checked on every read
 *   manifests/12/1234…89.json     a {@link DependencyManifest}, named by input key
 *   agent-index/…                 the agent's own index (written by the agent, evicted here)
 *   lock                          taken (FileLock) while evicting
 * </pre>
 * Every file is written to a temp file in its own folder and renamed into place, so a reader in any
 * process sees a whole file or none; two processes writing the same key write the same bytes. A
 * stored object whose bytes do not match its digest (truncated, flipped, half-evicted) is deleted
 * and reported as a miss, never returned. The store stays under {@code maxBytes} by evicting the
 * least recently used entries after each write; a hit refreshes the entry's mtime.
 */
public final class ObjectStore {
    private static final Pattern DIGEST_LINE = Pattern.compile("([0-9a-f]{64})\\s.*", Pattern.DOTALL);

    /** The folder of the agent's index, counted and evicted with the objects. */
    public static final String AGENT_INDEX = "agent-index";

    private final Path dir;
    private final long maxBytes;
    private final boolean trusted;
    private final AtomicLong corrupt = new AtomicLong();
    private volatile Consumer<String> warnings = ObjectStore::log;
    /**
     * Bytes in the store as of this instance's last full count plus what it wrote since, or -1 before
     * the first count. Walking the whole store on every write would make filling it quadratic, so it
     * is walked again only when this estimate passes the bound; other processes' writes show up then.
     */
    private final AtomicLong estimate = new AtomicLong(-1);

    public ObjectStore(Path dir, long maxBytes) {
        this(dir, maxBytes, false);
    }

    private ObjectStore(Path dir, long maxBytes, boolean trusted) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be positive, was " + maxBytes);
        }
        this.dir = dir.toAbsolutePath().normalize();
        this.maxBytes = maxBytes;
        this.trusted = trusted;
    }

    /**
     * A store whose objects may be loaded into the kernel: refused (see {@link StoreTrust}) unless it
     * and everything in it is owned by this process's user and writable by no one else, checked now
     * for the whole store and again for each file before it is read.
     *
     * @throws KilnException naming the offending path, its owner and mode
     */
    public static ObjectStore trusted(Path dir, long maxBytes) {
        StoreTrust.requireTrusted(dir);
        return new ObjectStore(dir, maxBytes, true);
    }

    /** True when opened with {@link #trusted}: every file is checked for its owner before it is read. */
    public boolean isTrusted() {
        return trusted;
    }

    /**
     * Where this store and its cache send warnings (a store they cannot write, a corrupt entry they
     * cannot remove); default: the {@code io.kiln.cache} System.Logger. Returns this store.
     */
    public ObjectStore onWarning(Consumer<String> sink) {
        this.warnings = java.util.Objects.requireNonNull(sink, "sink");
        return this;
    }

    /** Reports a problem that does not stop the build. */
    public void warn(String message) {
        warnings.accept(message);
    }

    private static void log(String message) {
        System.getLogger("io.kiln.cache").log(System.Logger.Level.WARNING, message);
    }

    /** For a trusted store, refuses {@code file} (in this store) unless only this user could have written it. */
    public void checkTrusted(Path file) {
        if (trusted) {
            StoreTrust.requireTrusted(dir, file);
        }
    }

    /**
     * Env {@code KILN_CACHE_DIR} if set, else {@code ~/.cache/kiln}: the store's own folder, which holds
     * {@code objects/} and {@code manifests/} (so objects land in {@code ~/.cache/kiln/objects/}).
     */
    public static Path defaultDir() {
        String fromEnv = System.getenv("KILN_CACHE_DIR");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return Path.of(fromEnv.trim()).toAbsolutePath();
        }
        return Path.of(System.getProperty("user.home"), ".cache", "kiln");
    }

    public Path dir() {
        return dir;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /** Where the object for {@code key} is (or would be) stored. */
    public Path objectFile(VariantKey key) {
        return dir.resolve("objects").resolve(key.hex().substring(0, 2)).resolve(key.hex() + ".o");
    }

    private Path digestFile(VariantKey key) {
        Path object = objectFile(key);
        return object.resolveSibling(object.getFileName() + Evictor.DIGEST_SUFFIX);
    }

    private Path manifestFile(String inputKey) {
        return dir.resolve("manifests").resolve(inputKey.substring(0, 2)).resolve(inputKey + ".json");
    }

    /**
     * The stored object for {@code key}, verified against its recorded digest; empty when absent or
     * corrupt (a corrupt one is deleted and counted in {@link #corruptObjectsDetected()}).
     */
    public Optional<StoredObject> read(VariantKey key) {
        Path object = objectFile(key);
        Path digest = digestFile(key);
        checkTrusted(digest);
        checkTrusted(object);
        try {
            String recorded = recordedDigest(digest);
            if (recorded == null) {
                return Optional.empty();
            }
            byte[] bytes = Files.readAllBytes(object);
            if (!recorded.equals(Sha256.of(bytes))) {
                corrupt.incrementAndGet();
                discardCorrupt(object, "its SHA-256 does not match " + digest.getFileName(), digest, object);
                return Optional.empty();
            }
            touch(object);
            return Optional.of(new StoredObject(key, bytes, object));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new KilnException("object store " + dir + ": cannot read " + object + ": " + e.getMessage(), e);
        }
    }

    /**
     * Deletes a damaged entry so it is rebuilt; in a store that cannot be written it stays, and the
     * caller compiles without it: that is reported as the corruption it is, not as a read error.
     */
    private void discardCorrupt(Path entry, String why, Path... files) {
        try {
            for (Path f : files) {
                Files.deleteIfExists(f);
            }
            warn("object store " + dir + ": " + entry + " is corrupt (" + why + "); removed, compiling it again");
        } catch (IOException e) {
            warn("object store " + dir + ": " + entry + " is corrupt (" + why + ") and cannot be removed ("
                    + e.getMessage() + "); compiling without it");
        }
    }

    private String recordedDigest(Path digest) throws IOException {
        String text;
        try {
            text = Files.readString(digest, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return null;
        }
        var m = DIGEST_LINE.matcher(text);
        if (!m.matches()) {
            // a digest file is written whole by rename, so a bad one is damage: drop it and recompile
            corrupt.incrementAndGet();
            discardCorrupt(digest, "not a SHA-256 line", digest);
            return null;
        }
        return m.group(1);
    }

    /**
     * Stores {@code bytes} as the object of {@code key} (object first, then its digest, each renamed
     * into place), then evicts older entries if the store is over its bound. Returns the object file.
     */
    public Path write(VariantKey key, byte[] bytes) {
        Path object = objectFile(key);
        try {
            AtomicFiles.write(object, bytes);
            String line = Sha256.of(bytes) + "  " + object.getFileName() + "\n";
            AtomicFiles.write(digestFile(key), line.getBytes(StandardCharsets.US_ASCII));
            afterWrite(object, bytes.length + line.length());
            return object;
        } catch (IOException e) {
            throw new KilnException("object store " + dir + ": cannot write " + object + ": " + e.getMessage(), e);
        }
    }

    /** The manifest recorded for {@code inputKey}, if any and readable (a damaged one is deleted). */
    public Optional<DependencyManifest> readManifest(String inputKey) {
        Path file = manifestFile(inputKey);
        checkTrusted(file);
        try {
            Optional<DependencyManifest> manifest = ManifestCodec.decode(Files.readAllBytes(file), inputKey);
            if (manifest.isEmpty()) {
                discardCorrupt(file, "not a dependency manifest", file);
            } else {
                touch(file);
            }
            return manifest;
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new KilnException("object store " + dir + ": cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    public void writeManifest(DependencyManifest manifest) {
        Path file = manifestFile(manifest.inputKey());
        try {
            byte[] bytes = ManifestCodec.encode(manifest);
            AtomicFiles.write(file, bytes);
            afterWrite(file, bytes.length);
        } catch (IOException e) {
            throw new KilnException("object store " + dir + ": cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Bytes currently used by objects, digests and manifests. */
    public long sizeBytes() {
        try {
            return Evictor.size(roots());
        } catch (IOException e) {
            throw new KilnException("object store " + dir + ": cannot measure: " + e.getMessage(), e);
        }
    }

    /** Stored objects found damaged (and deleted) by this instance. */
    public long corruptObjectsDetected() {
        return corrupt.get();
    }

    private void afterWrite(Path written, long bytes) throws IOException {
        long estimated = estimate.get();
        if (estimated >= 0 && estimated + bytes <= maxBytes && estimate.compareAndSet(estimated, estimated + bytes)) {
            return;
        }
        evictNow(Set.of(written));
    }

    /** Counts the whole store and evicts least recently used entries until it is within its bound. */
    public void evictNow() {
        try {
            evictNow(Set.of());
        } catch (IOException e) {
            throw new KilnException("object store " + dir + ": cannot evict: " + e.getMessage(), e);
        }
    }

    private void evictNow(Set<Path> keep) throws IOException {
        AtomicFiles.createDirectories(dir);
        long left = StoreLock.withLock(dir.resolve("lock"), () -> Evictor.evict(roots(), maxBytes, keep));
        estimate.set(left);
    }

    private List<Path> roots() {
        // the agent's index (rendered source -> key) lives here too and must not grow without bound
        return List.of(dir.resolve("objects"), dir.resolve("manifests"), dir.resolve(AGENT_INDEX));
    }

    private static void touch(Path file) {
        try {
            Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis()));
        } catch (IOException e) {
            // evicted by another process in the meantime: the bytes in hand are still good
        }
    }

    @Override
    public String toString() {
        return "ObjectStore[" + dir + ", max " + maxBytes + " bytes]";
    }
}
