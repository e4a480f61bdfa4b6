package io.kiln.maven.internal;

import io.kiln.FileStamps;
import io.kiln.Sha256;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

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
 * file key (device and inode). An input whose modification time is within {@link FileStamps#RACY_NANOS} of the
 * moment it was recorded is not trusted (it could change again within the same timestamp tick): the
 * full check runs until it is older. A plain tab-separated file, like {@link BuildState}.
 */
public final class NoChangeStamp {
    private static final String MAGIC = "kiln-no-change 1";
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
                if (!FileStamps.list(root, now, MAX_FILES)) {
                    return Optional.empty();
                }
            }
            for (Map.Entry<String, String> e : stamp.files.entrySet()) {
                if (!now.containsKey(e.getKey())) {
                    now.put(e.getKey(), FileStamps.identity(Path.of(e.getKey())));
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
        long recordedAt = FileStamps.nowNanos();
        Map<String, String> entries = new TreeMap<>();
        List<Path> rootList = new ArrayList<>(new TreeSet<>(roots.stream().map(NoChangeStamp::norm).toList()));
        for (Path root : rootList) {
            if (!FileStamps.list(root, entries, MAX_FILES)) {
                Files.deleteIfExists(file);
                return;
            }
        }
        for (Path p : inputs) {
            entries.putIfAbsent(norm(p).toString(), FileStamps.identity(norm(p)));
        }
        for (Map.Entry<String, String> e : entries.entrySet()) {
            if (FileStamps.tooFresh(e.getValue(), recordedAt)) {
                Files.deleteIfExists(file);
                return;
            }
        }
        for (Path root : new TreeSet<>(outputRoots.stream().map(NoChangeStamp::norm).toList())) {
            if (!FileStamps.list(root, entries, MAX_FILES)) {
                Files.deleteIfExists(file);
                return;
            }
            rootList.add(root);
        }
        for (Path p : outputs) {
            entries.put(norm(p).toString(), FileStamps.identity(norm(p)));
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

    private static Path norm(Path p) {
        return p.toAbsolutePath().normalize();
    }
}
