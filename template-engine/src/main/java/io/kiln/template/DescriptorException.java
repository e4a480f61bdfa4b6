package io.kiln.template;

import io.kiln.KilnException;

import java.nio.file.Path;

/**
 * A template descriptor (or the folder holding it) is not valid. The message has the form
 * {@code FILE:LINE:COLUMN: FIELD: what is wrong}, like a compiler diagnostic, so editors can
 * jump to it. {@link #line()} and {@link #column()} are 1-based, or 0 when the error has no
 * place inside the file (the file itself is missing, say); {@link #field()} is a dotted path
 * such as {@code build.ctSize.default}, or empty when the error concerns the whole file.
 */
public class DescriptorException extends KilnException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final int line;
    private final int column;
    private final String field;
    private final String reason;

    public DescriptorException(Path file, int line, int column, String field, String reason) {
        this(file, line, column, field, reason, null);
    }

    public DescriptorException(Path file, int line, int column, String field, String reason, Throwable cause) {
        super(format(file, line, column, field, reason), cause);
        this.file = file;
        this.line = line;
        this.column = column;
        this.field = field == null ? "" : field;
        this.reason = reason;
    }

    private static String format(Path file, int line, int column, String field, String reason) {
        StringBuilder b = new StringBuilder().append(file);
        if (line > 0) {
            b.append(':').append(line);
            if (column > 0) {
                b.append(':').append(column);
            }
        }
        b.append(": ");
        if (field != null && !field.isEmpty()) {
            b.append(field).append(": ");
        }
        return b.append(reason).toString();
    }

    /** The descriptor file, or the folder when no descriptor could be chosen in it. */
    public Path file() {
        return file;
    }

    public int line() {
        return line;
    }

    public int column() {
        return column;
    }

    /** Dotted path of the offending field, e.g. {@code build.ctSize.default}; empty for the whole file. */
    public String field() {
        return field;
    }

    /** The message without file, place and field. */
    public String reason() {
        return reason;
    }

    @Override
    public boolean isUserError() {
        return true;
    }
}
