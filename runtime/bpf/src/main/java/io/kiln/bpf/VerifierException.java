package io.kiln.bpf;

import java.util.List;

/**
 * The kernel's verifier rejected a program. {@link #log()} is the whole verifier log, one element
 * per line; {@link #getMessage()} is short: object and program, the verifier's reason, and the last
 * lines of the log with the count of lines left out.
 */
public class VerifierException extends BpfException {
    private static final long serialVersionUID = 1L;

    private final String program;
    private final List<String> log;
    private final String reason;

    public VerifierException(String message, String program, String reason, List<String> log, int errno) {
        super(message, errno, false, null);
        this.program = program;
        this.reason = reason;
        this.log = List.copyOf(log);
    }

    /** The name of the program the verifier rejected. */
    public String program() {
        return program;
    }

    /** The verifier's own one-line reason (its last line that is not a statistic), e.g. "R1 offset is outside of the packet". */
    public String reason() {
        return reason;
    }

    /** The complete verifier log, one line per element (the kernel keeps the tail if the buffer was too small). */
    public List<String> log() {
        return log;
    }
}
