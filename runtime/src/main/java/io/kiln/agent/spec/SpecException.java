package io.kiln.agent.spec;

import io.kiln.KilnException;

/**
 * A spec (endpoint, policy, service) is not valid. The message has the form
 * {@code SOURCE:LINE:COLUMN: FIELD: what is wrong}, like a compiler diagnostic; SOURCE is a file
 * path, {@code api} or a Kubernetes object ({@code pod default/web}); line and column are left out
 * where unknown (0) and FIELD is a dotted path such as {@code ingress[0].toPorts[1].port}, left
 * out when the error concerns the whole document.
 */
public class SpecException extends KilnException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final int line;
    private final int column;
    private final String field;
    private final String reason;

    public SpecException(String source, int line, int column, String field, String reason) {
        this(source, line, column, field, reason, null);
    }

    public SpecException(String source, int line, int column, String field, String reason, Throwable cause) {
        super(format(source, line, column, field, reason), cause);
        this.source = source;
        this.line = line;
        this.column = column;
        this.field = field == null ? "" : field;
        this.reason = reason;
    }

    private static String format(String source, int line, int column, String field, String reason) {
        StringBuilder b = new StringBuilder(source);
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

    /** The file, {@code api}, or the Kubernetes object the spec came from. */
    public String source() {
        return source;
    }

    /** 1-based, or 0 when unknown. */
    public int line() {
        return line;
    }

    public int column() {
        return column;
    }

    /** Dotted path of the offending field; empty for the whole document. */
    public String field() {
        return field;
    }

    /** The message without source, place and field. */
    public String reason() {
        return reason;
    }

    @Override
    public boolean isUserError() {
        return true;
    }
}
