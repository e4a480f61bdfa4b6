package io.kiln.template;

import io.kiln.KilnException;

import java.nio.file.Path;

/**
 * Rendering a template failed: a FreeMarker syntax error, a missing value, a refused include or
 * construct. The message starts {@code FILE:LINE:COLUMN: } with the absolute path of the template
 * file at fault (the main template or one it includes), followed by FreeMarker's reason.
 * {@link #line()} and {@link #column()} are 1-based, or 0 when FreeMarker gave no place.
 */
public class RenderException extends KilnException {
    private static final long serialVersionUID = 1L;

    private final transient Path templateFile;
    private final int line;
    private final int column;
    private final String reason;

    public RenderException(Path templateFile, int line, int column, String reason, Throwable cause) {
        super(format(templateFile, line, column, reason), cause);
        this.templateFile = templateFile;
        this.line = line;
        this.column = column;
        this.reason = reason;
    }

    private static String format(Path file, int line, int column, String reason) {
        StringBuilder b = new StringBuilder().append(file);
        if (line > 0) {
            b.append(':').append(line);
            if (column > 0) {
                b.append(':').append(column);
            }
        }
        return b.append(": ").append(reason).toString();
    }

    public Path templateFile() {
        return templateFile;
    }

    public int line() {
        return line;
    }

    public int column() {
        return column;
    }

    /** The message without file and place. */
    public String reason() {
        return reason;
    }

    @Override
    public boolean isUserError() {
        return true;
    }
}
