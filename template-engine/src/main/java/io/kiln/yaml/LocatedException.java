package io.kiln.yaml;

import io.kiln.KilnException;

/**
 * An error at a place in a user's document. The message has the form
 * {@code WHERE:LINE:COLUMN: FIELD: reason}, like a compiler diagnostic, so editors can jump to
 * it; line and column are left out where unknown (0), FIELD when the error concerns the whole
 * document. Subclasses say what WHERE is (a file, {@code api}, a Kubernetes object).
 */
public abstract class LocatedException extends KilnException {
    private static final long serialVersionUID = 1L;

    private final int line;
    private final int column;
    private final String field;
    private final String reason;

    protected LocatedException(String where, int line, int column, String field, String reason, Throwable cause) {
        super(format(where, line, column, field, reason), cause);
        this.line = line;
        this.column = column;
        this.field = field == null ? "" : field;
        this.reason = reason;
    }

    private static String format(String where, int line, int column, String field, String reason) {
        StringBuilder b = new StringBuilder(where);
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

    /** 1-based, or 0 when unknown. */
    public int line() {
        return line;
    }

    /** 1-based, or 0 when unknown. */
    public int column() {
        return column;
    }

    /** Dotted path of the offending field, e.g. {@code build.ctSize.default}; empty for the whole document. */
    public String field() {
        return field;
    }

    /** The message without where, place and field. */
    public String reason() {
        return reason;
    }

    /** A located error is always about what the user wrote. */
    @Override
    public boolean isUserError() {
        return true;
    }
}
