package io.kiln.maven.internal;

import io.kiln.bundle.BundleIndex;
import io.kiln.bundle.BundledTemplate;
import io.kiln.bundle.BundledVariant;
import io.kiln.template.TemplateDescriptor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Lays a bundle out in an output folder: each variant's object at its content-addressed path and
 * {@code META-INF/kiln/index.json}, each written only when its bytes change; objects no variant
 * uses any more are removed. Nothing in it depends on the time or the machine, so the same inputs give
 * the same bytes (the jar plugin then applies {@code project.build.outputTimestamp} to the entries).
 */
public final class BundleWriter {
    /** What writing changed. */
    public record Written(BundleIndex index, int objectsWritten, boolean indexWritten, List<Path> removed) {
    }

    private BundleWriter() {
    }

    public static Written write(Path outputDir, List<ReadyVariant> variants, FileDigests digests) throws IOException {
        Map<TemplateDescriptor, List<BundledVariant>> byTemplate = new LinkedHashMap<>();
        Set<Path> keep = new HashSet<>();
        int objectsWritten = 0;
        for (ReadyVariant r : variants) {
            TemplateDescriptor t = r.variant().template();
            BundledVariant entry = BundledVariant.describe(t, r.variant().parameters(), r.key(), r.object(), r.info());
            byTemplate.computeIfAbsent(t, k -> new ArrayList<>()).add(entry);
            Path file = outputDir.resolve(entry.object()).toAbsolutePath().normalize();
            if (keep.add(file) && OutputFiles.writeIfChanged(file, r.object())) {
                digests.forget(file);
                objectsWritten++;
            }
        }
        List<BundledTemplate> templates = new ArrayList<>();
        byTemplate.forEach((t, entries) -> templates.add(BundledTemplate.of(t, entries)));
        BundleIndex index = new BundleIndex(templates);
        boolean indexWritten = OutputFiles.writeIfChanged(outputDir.resolve(BundleIndex.PATH), index.toJson());
        List<Path> removed = OutputFiles.removeAllBut(outputDir.resolve(BundleIndex.OBJECTS), keep);
        return new Written(index, objectsWritten, indexWritten, removed);
    }

    /** Removes a bundle an earlier build left in {@code outputDir}; true when there was one. */
    public static boolean remove(Path outputDir) throws IOException {
        boolean had = Files.deleteIfExists(outputDir.resolve(BundleIndex.PATH));
        had |= !OutputFiles.removeAllBut(outputDir.resolve(BundleIndex.OBJECTS), Set.of()).isEmpty();
        return had;
    }
}
