package io.kiln.testing;

import io.kiln.lab.PacketView;

/**
 * What one {@code BPF_PROG_TEST_RUN} of a {@link TemplateUnderTest} program gave: the verdict, the
 * packet as the program left it, and (tc programs) {@code skb->mark} after the run.
 *
 * @param program       the program's name
 * @param xdp           true for an XDP program (verdicts are XDP_*), false for tc (TC_ACT_*)
 * @param retval        the verdict
 * @param packet        the packet after the run
 * @param mark          {@code skb->mark} after the run; 0 for XDP
 * @param durationNanos the kernel's mean time per run
 */
public record TestRun(String program, boolean xdp, int retval, byte[] packet, int mark, long durationNanos) {
    public static final int TC_ACT_UNSPEC = -1;
    public static final int TC_ACT_OK = 0;
    public static final int TC_ACT_SHOT = 2;
    public static final int TC_ACT_REDIRECT = 7;
    public static final int XDP_ABORTED = 0;
    public static final int XDP_DROP = 1;
    public static final int XDP_PASS = 2;
    public static final int XDP_TX = 3;
    public static final int XDP_REDIRECT = 4;

    public TestRun {
        packet = packet.clone();
    }

    @Override
    public byte[] packet() {
        return packet.clone();
    }

    /** The output packet, parsed. */
    public PacketView view() {
        return PacketView.parse(packet);
    }

    /** Fails naming both verdicts unless the program returned {@code expected}. */
    public TestRun assertVerdict(int expected) {
        if (retval != expected) {
            throw new AssertionError(program + " returned " + verdictName(retval) + ", expected "
                    + verdictName(expected) + "\noutput packet:\n" + view());
        }
        return this;
    }

    /** Fails unless {@code skb->mark} after the run is {@code expected}. */
    public TestRun assertMark(int expected) {
        if (mark != expected) {
            throw new AssertionError(String.format("%s left skb->mark 0x%08x, expected 0x%08x", program, mark, expected));
        }
        return this;
    }

    /** {@code "2 (TC_ACT_SHOT)"}. */
    public String verdictName(int verdict) {
        String name = xdp ? switch (verdict) {
            case XDP_ABORTED -> "XDP_ABORTED";
            case XDP_DROP -> "XDP_DROP";
            case XDP_PASS -> "XDP_PASS";
            case XDP_TX -> "XDP_TX";
            case XDP_REDIRECT -> "XDP_REDIRECT";
            default -> "?";
        } : switch (verdict) {
            case TC_ACT_UNSPEC -> "TC_ACT_UNSPEC";
            case TC_ACT_OK -> "TC_ACT_OK";
            case 1 -> "TC_ACT_RECLASSIFY";
            case TC_ACT_SHOT -> "TC_ACT_SHOT";
            case 3 -> "TC_ACT_PIPE";
            case 4 -> "TC_ACT_STOLEN";
            case TC_ACT_REDIRECT -> "TC_ACT_REDIRECT";
            default -> "?";
        };
        return verdict + " (" + name + ")";
    }
}
