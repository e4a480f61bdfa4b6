package io.kiln.object;

import io.kiln.KilnException;

/**
 * A file that is not a BPF object this reader understands: not ELF, not ELF64 little-endian,
 * truncated, a section or string outside the file, malformed BTF or map definitions. The message
 * names the object and the problem, e.g. {@code invalid BPF object x.o: section [22] '.BTF': type [5]
 * ARRAY: element type [200] does not exist}.
 */
public class InvalidObjectException extends KilnException {
    private static final long serialVersionUID = 1L;

    private final String object;
    private final String problem;

    public InvalidObjectException(String object, String problem) {
        super("invalid BPF object " + object + ": " + problem);
        this.object = object;
        this.problem = problem;
    }

    public InvalidObjectException(String object, String problem, Throwable cause) {
        super("invalid BPF object " + object + ": " + problem, cause);
        this.object = object;
        this.problem = problem;
    }

    /** The display name of the object (usually its path). */
    public String object() {
        return object;
    }

    /** What is wrong, without the object's name, so a caller can add its own context. */
    public String problem() {
        return problem;
    }

    @Override
    public boolean isUserError() {
        return true;
    }
}
