package io.kiln.template;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/** Fixture templates: from test resources, or written into a test's temporary folder. */
final class TestTemplates {
    private TestTemplates() {
    }

    /** A folder under src/test/resources/templates. */
    static Path resource(String name) {
        try {
            return Path.of(Objects.requireNonNull(TestTemplates.class.getResource("/templates/" + name),
                    "no test template " + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The repository root: Kiln's surefire configuration passes it as kiln.home; otherwise the module's parent. */
    static Path repositoryRoot() {
        String root = System.getProperty("kiln.home");
        return (root != null && !root.isBlank() ? Path.of(root) : Path.of("..")).toAbsolutePath().normalize();
    }

    /** Writes {@code NAME.template.yaml} and {@code NAME.bpf.c.ftl} into {@code dir}/NAME and returns that folder. */
    static Path write(Path dir, String name, String descriptor, String source) {
        try {
            Path folder = Files.createDirectories(dir.resolve(name));
            Files.writeString(folder.resolve(name + ".template.yaml"), descriptor);
            if (source != null) {
                Files.writeString(folder.resolve(name + ".bpf.c.ftl"), source);
            }
            return folder;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A template named t with one program and the given build section (YAML lines, already indented). */
    static TemplateDescriptor withSource(Path dir, String build, String source) {
        String descriptor = "name: t\nprograms:\n  prog: { hook: tc-ingress }\n" + (build.isEmpty() ? "" : "build:\n" + build);
        return Templates.load(write(dir, "t", descriptor, source));
    }
}
