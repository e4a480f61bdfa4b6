package io.kiln.bpf;

/**
 * A replacement found a different program on the hook than the one the caller expected: something
 * else replaced it since. Nothing was changed; the caller should resync rather than clobber it.
 */
public class ProgramMismatchException extends BpfException {
    private static final long serialVersionUID = 1L;

    private final int expectedProgramId;
    private final int actualProgramId;

    public ProgramMismatchException(String message, int expectedProgramId, int actualProgramId) {
        super(message, 0, false, null);
        this.expectedProgramId = expectedProgramId;
        this.actualProgramId = actualProgramId;
    }

    /** The id of the program the caller expected on the hook. */
    public int expectedProgramId() {
        return expectedProgramId;
    }

    /** The id of the program found there; 0 when the hook was empty. */
    public int actualProgramId() {
        return actualProgramId;
    }
}
