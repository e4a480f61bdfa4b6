package io.kiln.maven.internal;

import java.nio.file.Path;

/** Short names for files in messages: relative to the templates folder or the project where possible. */
public final class PathNames {
    private final Path templates;
    private final Path project;

    public PathNames(Path templates, Path project) {
        this.templates = templates.toAbsolutePath().normalize();
        this.project = project.toAbsolutePath().normalize();
    }

    public String display(Path file) {
        Path p = file.toAbsolutePath().normalize();
        if (p.startsWith(templates)) {
            return templates.relativize(p).toString();
        }
        if (p.startsWith(project)) {
            return project.relativize(p).toString();
        }
        return p.toString();
    }
}
