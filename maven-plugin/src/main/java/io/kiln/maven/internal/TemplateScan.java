package io.kiln.maven.internal;

import io.kiln.template.DescriptorException;
import io.kiln.template.TemplateDescriptor;
import io.kiln.template.Templates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Finds the templates under a folder: every {@code *.template.yaml} at any depth (hidden folders
 * skipped), in path order. Folders without a descriptor, such as a shared {@code include/}, are not
 * templates.
 */
public final class TemplateScan {
    private static final String SUFFIX = ".template.yaml";
    private static final int MAX_DEPTH = 8;

    private TemplateScan() {
    }

    /**
     * Loads every template found; an absent folder has none.
     *
     * @throws DescriptorException for the first descriptor that is not valid, or a name used twice
     */
    public static List<TemplateDescriptor> load(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        List<Path> descriptors;
        try (Stream<Path> walk = Files.walk(folder, MAX_DEPTH)) {
            descriptors = walk.filter(p -> p.getFileName().toString().endsWith(SUFFIX))
                    .filter(Files::isRegularFile)
                    .filter(p -> noHiddenPart(folder.relativize(p)))
                    .sorted().toList();
        }
        List<TemplateDescriptor> templates = new ArrayList<>();
        Map<String, Path> seen = new HashMap<>();
        for (Path d : descriptors) {
            TemplateDescriptor t = Templates.load(d);
            Path other = seen.putIfAbsent(t.name(), d);
            if (other != null) {
                throw new DescriptorException(d, 0, 0, "name", "template '" + t.name() + "' is also defined by "
                        + other + "; template names must be unique in a build");
            }
            templates.add(t);
        }
        return templates;
    }

    private static boolean noHiddenPart(Path relative) {
        for (Path part : relative) {
            if (part.toString().startsWith(".")) {
                return false;
            }
        }
        return true;
    }
}
