package io.kiln.maven.internal;

import io.kiln.Sha256;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The no-change build's shortcut. After a goal has done its full up-to-date check (descriptors
 * parsed, every input digested, objects read), it records here what it looked at: its configuration
 * (as a digest), every file under the folders a template may read from (the templates folder and the
 * include folders), and the other files it read or wrote (objects, bundle index, bindings, headers,
 * clang). The next run of the goal stats those files and lists those folders, nothing more: when all
 * of it is as recorded, the goal's outcome is the recorded one, and it is said without loading a
 * descriptor parser, FreeMarker or the ELF reader. Anything else (a file touched, added or removed, a
 * setting changed, no stamp) falls back to the full check, which writes a new stamp.
 *
 * <p>A file is identified by size, modification time (nanoseconds where the file system keeps them) and
 * file key (device and inode). An input whose modification time is within {@link #RACY_NANOS} of the
 * moment it was recorded is not trusted (it could change again within the same timestamp tick): the
 * full check runs until it is older. A plain tab-separated file, like {@link BuildState}.
 */
public final class NoChangeStamp {
    private static final String MAGIC = "kiln-no-change 1";
    static final long RACY_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final int MAX_DEPTH = 8;
    private static final int MAX_FILES = 10_000;

    private final String config;
    private final long recordedAt;
    private final List<Path> roots;
    private final Map<String, String> files;
    private final List<String> outcome;

    private NoChangeStamp(String config, long recordedAt, List<Path> roots, Map<String, String> files,
                          List<String> outcome) {
        this.config = config;
        this.recordedAt = recordedAt;
        this.roots = roots;
        this.files = files;
        this.outcome = outcome;
    }

    /** The digest of a goal's configuration: every setting that could change its outcome, one per element. */
    public static String configDigest(List<String> settings) {
        StringBuilder b = new StringBuilder();
        for (String s : settings) {
            b.append(s == null ? "\u0000null" : s.replace("\\", "\\\\").replace("\n", "\\n")).append('\n');
        }
        return Sha256.of(b.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The recorded outcome when {@code file} holds a stamp for {@code config} and every file it names is
     * as recorded; empty otherwise (no stamp, unreadable, anything changed).
     */
    public static Optional<List<String>> check(Path file, String config) {
        NoChangeStamp stamp;
        try {
            stamp = read(file);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        if (stamp == null || !stamp.config.equals(config)) {
            return Optional.empty();
        }
        try {
            Map<String, String> now = new TreeMap<>();
            for (Path root : stamp.roots) {
                if (!list(root, now)) {
                    return Optional.empty();
                }
            }
            for (Map.Entry<String, String> e : stamp.files.entrySet()) {
                if (!now.containsKey(e.getKey())) {
                    now.put(e.getKey(), identity(Path.of(e.getKey())));
                }
            }
            if (!now.equals(stamp.files)) {
                return Optional.empty();
            }
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        return Optional.of(stamp.outcome);
    }

    /**
     * Records what a goal looked at, or removes the stamp when an input is too fresh to be trusted.
     *
     * @param roots       folders read, listed in full (to depth 8): a file added there is a change
     * @param inputs      other files read (headers outside the roots, clang)
     * @param outputRoots folders written, listed in full (bindings, the bundle's objects)
     * @param outputs     other files written or read back (bundle index, build state)
     * @param outcome     what the goal says when nothing changed, one line each
     */
    public static void record(Path file, String config, Collection<Path> roots, Collection<Path> inputs,
                              Collection<Path> outputRoots, Collection<Path> outputs, List<String> outcome)
            throws IOException {
        long recordedAt = System.currentTimeMillis() * 1_000_000L;
        Map<String, String> entries = new TreeMap<>();
        List<Path> rootList = new ArrayList<>(new TreeSet<>(roots.stream().map(NoChangeStamp::norm).toList()));
        for (Path root : rootList) {
            if (!list(root, entries)) {
                Files.deleteIfExists(file);
                return;
            }
        }
        for (Path p : inputs) {
            entries.putIfAbsent(norm(p).toString(), identity(norm(p)));
        }
        for (Map.Entry<String, String> e : entries.entrySet()) {
            if (fresh(e.getValue(), recordedAt)) {
                Files.deleteIfExists(file);
                return;
            }
        }
        for (Path root : new TreeSet<>(outputRoots.stream().map(NoChangeStamp::norm).toList())) {
            if (!list(root, entries)) {
                Files.deleteIfExists(file);
                return;
            }
            rootList.add(root);
        }
        for (Path p : outputs) {
            entries.put(norm(p).toString(), identity(norm(p)));
        }
        StringBuilder b = new StringBuilder(MAGIC).append('\n');
        BuildState.line(b, "config", config);
        BuildState.line(b, "recorded", Long.toString(recordedAt));
        rootList.forEach(r -> BuildState.line(b, "root", r.toString()));
        entries.forEach((path, id) -> BuildState.line(b, "file", path, id));
        outcome.forEach(line -> BuildState.line(b, "say", line));
        OutputFiles.writeIfChanged(file, b.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static NoChangeStamp read(Path file) throws IOException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.get(0).equals(MAGIC)) {
            return null;
        }
        String config = null;
        long recordedAt = 0;
        List<Path> roots = new ArrayList<>();
        Map<String, String> files = new TreeMap<>();
        List<String> outcome = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            List<String> f = BuildState.fields(line);
            switch (f.get(0)) {
                case "config" -> config = f.get(1);
                case "recorded" -> recordedAt = Long.parseLong(f.get(1));
                case "root" -> roots.add(Path.of(f.get(1)));
                case "file" -> files.put(f.get(1), f.get(2));
                case "say" -> outcome.add(f.get(1));
                default -> {
                    return null;
                }
            }
        }
        return config == null ? null : new NoChangeStamp(config, recordedAt, roots, files, outcome);
    }

    /** Adds every regular file under {@code root} with its identity; false when the folder is too big to be worth it. */
    private static boolean list(Path root, Map<String, String> into) throws IOException {
        if (!Files.isDirectory(root)) {
            into.put(root.toString(), identity(root));
            return true;
        }
        List<Path> found = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(root, MAX_DEPTH)) {
            walk.limit(MAX_FILES + 1L).forEach(found::add);
        }
        if (found.size() > MAX_FILES) {
            return false;
        }
        for (Path p : found) {
            into.put(p.toString(), identity(p));
        }
        return true;
    }

    /**
     * Size, modification time in ns and file key of what {@code p} names (links followed, so a link's
     * target changing is a change); "dir" for a folder, "absent" for nothing.
     */
    private static String identity(Path p) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(p, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return "absent";
        }
        long mtime = a.lastModifiedTime().to(TimeUnit.NANOSECONDS);
        if (a.isDirectory()) {
            return "dir " + mtime;
        }
        return (a.isRegularFile() ? "file " : "other ") + a.size() + " " + mtime + " "
                + a.fileKey();
    }

    private static boolean fresh(String identity, long recordedAt) {
        String[] f = identity.split(" ");
        if (f.length < 2 || f[0].equals("absent")) {
            return false;
        }
        long mtime = Long.parseLong(f[0].equals("dir") ? f[1] : f[2]);
        return mtime > recordedAt - RACY_NANOS;
    }

    private static Path norm(Path p) {
        return p.toAbsolutePath().normalize();
    }
}
