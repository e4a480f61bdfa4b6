package io.kiln.agent.dataplane.internal;

import io.kiln.FileStamps;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a variant's object was made from, cheaply comparable: size, modification time (ns) and file
 * key of each file a render and a compile read (the template's folder, its include folders in full,
 * and the headers clang reported), taken without reading a byte. Two stamps of the same files are
 * equal exactly while none of them was written, replaced, added or removed. A stamp that could not be
 * taken, or names a file modified within {@link FileStamps#RACY_NANOS} of being stamped (it could change again
 * inside one timestamp tick), is never equal to anything, so the caller goes the long way.
 */
public final class InputStamp {
    private static final int MAX_FILES = 4096;

    private final List<Path> folders;
    private final List<Path> files;
    private final Map<String, String> identities;

    private InputStamp(List<Path> folders, List<Path> files, Map<String, String> identities) {
        this.folders = folders;
        this.files = files;
        this.identities = identities;
    }

    /** Stamps every file under {@code folders} (to depth 8) and each of {@code files}; null when too big or unreadable. */
    public static InputStamp of(Collection<Path> folders, Collection<Path> files) {
        List<Path> fs = folders.stream().map(p -> p.toAbsolutePath().normalize()).distinct().toList();
        List<Path> single = files.stream().map(p -> p.toAbsolutePath().normalize()).distinct().toList();
        Map<String, String> ids = take(fs, single);
        if (ids == null) {
            return null;
        }
        long now = FileStamps.nowNanos();
        for (String id : ids.values()) {
            if (FileStamps.tooFresh(id, now)) {
                return null;
            }
        }
        return new InputStamp(fs, single, ids);
    }

    /** True while every file stamped is as it was. */
    public boolean holds() {
        Map<String, String> now = take(folders, files);
        return identities.equals(now);
    }

    private static Map<String, String> take(List<Path> folders, List<Path> files) {
        Map<String, String> ids = new TreeMap<>();
        try {
            for (Path folder : folders) {
                if (!FileStamps.list(folder, ids, MAX_FILES)) {
                    return null;
                }
            }
            for (Path f : files) {
                ids.putIfAbsent(f.toString(), FileStamps.identity(f));
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return ids;
    }
}
