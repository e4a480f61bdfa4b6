package io.kiln.bpf;

import io.kiln.KilnException;

/**
 * A libbpf or kernel operation failed. The message names the object, program or map, the
 * operation, the error as text with its errno name ({@code File exists (EEXIST)}), and what libbpf
 * itself said about it, e.g.
 * {@code object hello: map counters: pin /sys/fs/bpf/kiln/x: File exists (EEXIST)}.
 */
public class BpfException extends KilnException {
    private static final long serialVersionUID = 1L;

    private final int errno;
    private final boolean userError;

    public BpfException(String message) {
        this(message, 0, false, null);
    }

    public BpfException(String message, Throwable cause) {
        this(message, 0, false, cause);
    }

    /**
     * @param errno     the positive errno of the failed call, 0 when the failure is Kiln's own check
     * @param userError true when the caller's input (a constant value, a name) is what is wrong
     */
    public BpfException(String message, int errno, boolean userError, Throwable cause) {
        super(message, cause);
        this.errno = Math.abs(errno);
        this.userError = userError;
    }

    /** The positive errno of the failed system or libbpf call; 0 when Kiln itself refused. */
    public int errno() {
        return errno;
    }

    @Override
    public boolean isUserError() {
        return userError;
    }
}
