package io.kiln.maven.internal;

import io.kiln.template.TemplateDescriptor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The files a template's rendering may read: its descriptor, its source, and every FreeMarker file
 * ({@code *.ftl}) in its include folders. Which of those a variant really includes is up to FreeMarker,
 * so all of them count; headers ({@code *.h}) are tracked per variant from clang's own list instead.
 */
public final class TemplateInputs {
    private static final int MAX_DEPTH = 8;

    private TemplateInputs() {
    }

    public static List<Path> of(TemplateDescriptor t) {
        TreeSet<Path> files = new TreeSet<>();
        files.add(t.descriptorFile().toAbsolutePath().normalize());
        files.add(t.templateFile().toAbsolutePath().normalize());
        for (Path dir : t.includeDirs()) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> walk = Files.walk(dir, MAX_DEPTH)) {
                walk.filter(p -> p.getFileName().toString().endsWith(".ftl")).filter(Files::isRegularFile)
                        .forEach(p -> files.add(p.toAbsolutePath().normalize()));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list template folder " + dir + ": " + e.getMessage(), e);
            }
        }
        return new ArrayList<>(files);
    }
}
