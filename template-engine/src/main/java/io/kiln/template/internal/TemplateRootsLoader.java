package io.kiln.template.internal;

import freemarker.cache.FileTemplateLoader;
import freemarker.cache.TemplateLoader;

import java.io.File;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * Loads templates only from a template's roots (its folder first, then its include folders) and
 * puts {@link LineMarkers} into their text. Each root is a {@link FileTemplateLoader} with its
 * canonical-path check on, so neither {@code ..} nor a symbolic link leads outside the roots;
 * FreeMarker's own name rules already refuse names that back out of the root.
 */
public final class TemplateRootsLoader implements TemplateLoader {
    private final Path templateRoot;
    private final List<Path> roots;
    private final List<FileTemplateLoader> loaders = new ArrayList<>();

    /** A found template: which root, the file, and its path relative to the template's own folder. */
    record Source(int root, Object delegate, Path file, String relative) {
    }

    public TemplateRootsLoader(List<Path> roots) throws IOException {
        this.roots = List.copyOf(roots);
        this.templateRoot = roots.get(0);
        for (Path root : roots) {
            loaders.add(new FileTemplateLoader(root.toFile(), false));
        }
    }

    @Override
    public Object findTemplateSource(String name) throws IOException {
        for (int i = 0; i < loaders.size(); i++) {
            Object found;
            try {
                found = loaders.get(i).findTemplateSource(name);
            } catch (SecurityException e) {
                throw new IOException("template '" + name + "' resolves to a file outside the template root "
                        + roots.get(i) + " (through a symbolic link?); templates load only from the template's"
                        + " folder and its include folders");
            }
            if (found instanceof File f) {
                Path file = f.toPath().toAbsolutePath().normalize();
                return new Source(i, found, file, relative(file));
            }
            if (found != null) {
                throw new IOException("unexpected template source " + found.getClass().getName());
            }
        }
        return null;
    }

    /** {@code file} relative to the template's folder, with {@code /}: what {@code #line} names. */
    public String relative(Path file) {
        return templateRoot.relativize(file).toString().replace(File.separatorChar, '/');
    }

    /** The roots in words, for messages: the template's folder and its include folders. */
    public String describeRoots() {
        if (roots.size() == 1) {
            return "the template's folder " + templateRoot;
        }
        return "the template's folder " + templateRoot + " and its include folders " + roots.subList(1, roots.size());
    }

    /** The file FreeMarker loads for a template name, or null. */
    public Path fileOf(String name) {
        try {
            return findTemplateSource(name) instanceof Source s ? s.file() : null;
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * A fingerprint of the file's content, not its modification time: FreeMarker reloads a cached
     * template only when this value changes, and a modification time (milliseconds) misses an edit
     * made within the same millisecond as the previous read, which would render stale C.
     */
    @Override
    public long getLastModified(Object source) {
        Source s = (Source) source;
        try {
            byte[] content = Files.readAllBytes(s.file());
            CRC32C crc = new CRC32C();
            crc.update(content);
            return ((long) content.length << 32 | crc.getValue()) & Long.MAX_VALUE;
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public Reader getReader(Object source, String encoding) throws IOException {
        Source s = (Source) source;
        String text;
        try (Reader r = loaders.get(s.root()).getReader(s.delegate(), encoding)) {
            StringBuilder b = new StringBuilder();
            char[] buf = new char[8192];
            int n;
            while ((n = r.read(buf)) > 0) {
                b.append(buf, 0, n);
            }
            text = b.toString();
        }
        TemplateChecks.check(s.file(), text);
        return new StringReader(LineMarkers.insert(text, s.relative()));
    }

    @Override
    public void closeTemplateSource(Object source) throws IOException {
        Source s = (Source) source;
        loaders.get(s.root()).closeTemplateSource(s.delegate());
    }

    @Override
    public String toString() {
        return "template roots " + roots;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TemplateRootsLoader other && roots.equals(other.roots);
    }

    @Override
    public int hashCode() {
        return Objects.hash(roots);
    }
}
