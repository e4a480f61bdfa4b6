package io.kiln.template.internal;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A template file Kiln refuses to hand to FreeMarker. An IOException because that is what a
 * template loader may throw; the renderer turns it into a RenderException at this place.
 */
public final class TemplateRejectedException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final int line;
    private final int column;
    private final String reason;

    TemplateRejectedException(Path file, int line, int column, String reason) {
        super(file + ":" + line + ":" + column + ": " + reason);
        this.file = file;
        this.line = line;
        this.column = column;
        this.reason = reason;
    }

    public Path file() {
        return file;
    }

    public int line() {
        return line;
    }

    public int column() {
        return column;
    }

    public String reason() {
        return reason;
    }
}
