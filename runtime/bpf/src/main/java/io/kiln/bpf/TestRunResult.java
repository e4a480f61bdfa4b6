package io.kiln.bpf;

/**
 * What a {@code BPF_PROG_TEST_RUN} returned.
 *
 * @param retval        the program's return value (tc: {@code TC_ACT_OK} 0, {@code TC_ACT_SHOT} 2; XDP: {@code XDP_PASS} 2, ...)
 * @param data          the packet after the program ran (as long as the kernel reported)
 * @param context       the context after the run; empty when none was asked for
 * @param durationNanos mean time of one run, as the kernel measured it
 */
public record TestRunResult(int retval, byte[] data, byte[] context, long durationNanos) {
}
