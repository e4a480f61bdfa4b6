package io.kiln.agent.plan;

import io.kiln.template.TemplateDescriptor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * A digest of what a template's objects are made from: every regular file under its folder and its
 * include folders (relative path and content, in path order). Part of {@link PlanFingerprint}: an
 * agent whose templates changed (a new Kiln, a new image) takes the new variant on every endpoint it
 * adopts, through the same swap as any variant change, instead of leaving the old programs running
 * under a fingerprint that matches. Taken once per descriptor file per process (templates are read
 * once, like the descriptors themselves). Bounded: at most {@value #MAX_FILES} files of
 * {@value #MAX_BYTES} bytes in all, to depth 8; over that, or unreadable, the digest is empty
 * ("unknown"), which compares like any other value.
 */
public final class TemplateSources {
    static final int MAX_FILES = 4096;
    static final long MAX_BYTES = 64L << 20;

    private static final Map<Path, String> DIGESTS = new ConcurrentHashMap<>();

    private TemplateSources() {
    }

    /** The digest of {@code t}'s sources (hex, 16 characters), or "" when they could not be read within the bounds. */
    public static String digest(TemplateDescriptor t) {
        return DIGESTS.computeIfAbsent(t.descriptorFile(), k -> compute(t));
    }

    private static String compute(TemplateDescriptor t) {
        List<Path> folders = new ArrayList<>();
        folders.add(t.root());
        folders.addAll(t.includeDirs());
        Map<String, Path> files = new TreeMap<>();
        try {
            for (int i = 0; i < folders.size(); i++) {
                Path folder = folders.get(i).toAbsolutePath().normalize();
                if (!Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                try (Stream<Path> walk = Files.walk(folder, 8)) {
                    for (Path p : (Iterable<Path>) walk::iterator) {
                        if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                            files.put(i + "/" + folder.relativize(p), p);
                            if (files.size() > MAX_FILES) {
                                return "";
                            }
                        }
                    }
                }
            }
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            long total = 0;
            byte[] buf = new byte[8192];
            for (Map.Entry<String, Path> e : files.entrySet()) {
                sha.update(e.getKey().getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                try (InputStream in = Files.newInputStream(e.getValue(), LinkOption.NOFOLLOW_LINKS)) {
                    for (int n; (n = in.read(buf)) > 0; ) {
                        total += n;
                        if (total > MAX_BYTES) {
                            return "";
                        }
                        sha.update(buf, 0, n);
                    }
                }
                sha.update((byte) 0);
            }
            return HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (IOException | RuntimeException | NoSuchAlgorithmException e) {
            return "";
        }
    }
}
