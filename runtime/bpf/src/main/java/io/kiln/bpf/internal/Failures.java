package io.kiln.bpf.internal;

import io.kiln.bpf.Errno;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.kiln.bpf.BpfException;

import java.util.List;

/**
 * Turns a failed libbpf call into a {@link BpfException} whose message has the context
 * ("object hello: map counters"), the operation ("pin /sys/fs/bpf/kiln/x"), the error as text with
 * its errno name, and the last things libbpf said on this thread.
 */
public final class Failures {
    private static final int LIBBPF_LINES = 12;

    private Failures() {
    }

    /** Throws unless {@code ret >= 0}; libbpf 1.x returns {@code -errno}. */
    public static int check(int ret, String context, String operation) {
        if (ret < 0) {
            throw error(context, operation, -ret);
        }
        return ret;
    }

    /** Throws if libbpf returned NULL (it set errno). */
    public static Pointer checkPointer(Pointer p, String context, String operation) {
        if (p == null) {
            throw error(context, operation, Native.getLastError());
        }
        return p;
    }

    public static BpfException error(String context, String operation, int errno) {
        return new BpfException(message(context, operation, errno), errno, false, null);
    }

    public static String message(String context, String operation, int errno) {
        String what = errno == 0 ? "failed" : Errno.describe(errno);
        return prefix(context) + operation + ": " + what + libbpfSaid();
    }

    /**
     * " (no interface has ifindex N in this thread's network namespace)" when that explains a
     * failed attach (the kernel says EINVAL or ENODEV), else "".
     */
    public static String missingInterfaceHint(int ifindex) {
        if (LibC.if_indextoname(ifindex, new byte[16]) != null) {
            return "";
        }
        return " (no interface has ifindex " + ifindex + " in this thread's network namespace)";
    }

    /** "context: " or "" when there is no context. */
    public static String prefix(String context) {
        return context == null || context.isEmpty() ? "" : context + ": ";
    }

    /** What libbpf printed on this thread since {@link LibbpfLog#begin()}, indented, or "". */
    public static String libbpfSaid() {
        List<String> lines = LibbpfLog.messages();
        if (lines.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        int from = Math.max(0, lines.size() - LIBBPF_LINES);
        if (from > 0) {
            sb.append("\n  libbpf: (").append(from).append(" earlier lines omitted)");
        }
        for (String line : lines.subList(from, lines.size())) {
            sb.append("\n  libbpf: ").append(line);
        }
        return sb.toString();
    }
}
