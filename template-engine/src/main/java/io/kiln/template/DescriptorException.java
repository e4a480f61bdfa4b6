package io.kiln.template;

import io.kiln.yaml.LocatedException;

import java.nio.file.Path;

/**
 * A template descriptor (or the folder holding it) is not valid. The message has the form
 * {@code FILE:LINE:COLUMN: FIELD: what is wrong}, like a compiler diagnostic, so editors can
 * jump to it. {@link #line()} and {@link #column()} are 1-based, or 0 when the error has no
 * place inside the file (the file itself is missing, say); {@link #field()} is a dotted path
 * such as {@code build.ctSize.default}, or empty when the error concerns the whole file.
 */
public class DescriptorException extends LocatedException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public DescriptorException(Path file, int line, int column, String field, String reason) {
        this(file, line, column, field, reason, null);
    }

    public DescriptorException(Path file, int line, int column, String field, String reason, Throwable cause) {
        super(String.valueOf(file), line, column, field, reason, cause);
        this.file = file;
    }

    /** The descriptor file, or the folder when no descriptor could be chosen in it. */
    public Path file() {
        return file;
    }
}
