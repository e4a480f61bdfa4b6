package io.kiln.runtime;

/**
 * One hook as the kernel shows it now, against what Kiln recorded.
 *
 * @param attachment       what Kiln attached (and the program id it expects there)
 * @param runningProgramId the program on the hook now; 0 if the hook is empty (link gone or defunct,
 *                         filter deleted, interface gone)
 */
public record HookStatus(Attachment attachment, int runningProgramId) {
    /** True when the hook runs exactly the program Kiln attached last. */
    public boolean isIntact() {
        return runningProgramId != 0 && runningProgramId == attachment.programId();
    }

    public boolean isEmpty() {
        return runningProgramId == 0;
    }

    @Override
    public String toString() {
        return attachment.describe() + ": " + (isIntact() ? "runs program " + runningProgramId
                : isEmpty() ? "hook empty (Kiln attached program " + attachment.programId() + ")"
                : "runs program " + runningProgramId + ", not Kiln's " + attachment.programId());
    }
}
