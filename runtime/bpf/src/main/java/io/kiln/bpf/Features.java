package io.kiln.bpf;

import com.sun.jna.Memory;
import io.kiln.bpf.Errno;
import io.kiln.bpf.internal.Failures;
import io.kiln.bpf.internal.LibBpf;
import io.kiln.bpf.internal.LibC;
import io.kiln.bpf.internal.LibbpfLoader;
import io.kiln.bpf.internal.LibbpfLog;
import io.kiln.bpf.internal.Structs;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the running kernel supports, probed once per process; the one place Kiln decides between
 * tcx and legacy tc. Probes load a two-instruction program and never attach anything to a real
 * interface.
 *
 * <ul>
 *   <li>tcx links (6.6): {@code BPF_LINK_CREATE} of a sched_cls program with {@code BPF_TCX_INGRESS}
 *       on an ifindex that does not exist. A kernel with tcx looks the device up and answers ENODEV;
 *       one without rejects the attach type with EINVAL before that.</li>
 *   <li>XDP links (5.9): the kernel version, since a missing device and a missing link type both
 *       answer EINVAL; plus a load of an XDP program.</li>
 *   <li>test runs of sched_cls (4.12): a test run of a trivial sched_cls program on a 14-byte frame.</li>
 * </ul>
 */
public final class Features {
    private static final int PROG_TYPE_SCHED_CLS = 3;
    private static final int PROG_TYPE_XDP = 6;
    private static final int NO_SUCH_IFINDEX = 0x7fffffff;
    private static final int TCX_NEXT = -1;

    private static volatile Boolean tcx;
    private static volatile Boolean xdpLinks;
    private static volatile Boolean testRunSchedCls;

    private Features() {
    }

    /** True if the kernel has tcx links (Linux 6.6+). */
    public static boolean tcxLinks() {
        Boolean b = tcx;
        if (b == null) {
            LibbpfLoader.require();
            int prog = loadTrivial(PROG_TYPE_SCHED_CLS, TCX_NEXT, "tcx links");
            try {
                LibbpfLog.begin();
                int ret = LibBpf.bpf_link_create(prog, NO_SUCH_IFINDEX, Direction.INGRESS.tcxAttachType(), null);
                if (ret >= 0) {
                    LibC.close(ret); // cannot happen without such an interface; never leave it attached
                    b = true;
                } else if (ret == -Errno.ENODEV) {
                    b = true;
                } else if (ret == -Errno.EINVAL) {
                    b = false;
                } else {
                    throw Failures.error("feature probe tcx links", "create link", -ret);
                }
            } finally {
                LibC.close(prog);
            }
            tcx = b;
        }
        return b;
    }

    /** True if the kernel has XDP links (Linux 5.9+). */
    public static boolean xdpLinks() {
        Boolean b = xdpLinks;
        if (b == null) {
            LibbpfLoader.require();
            LibC.close(loadTrivial(PROG_TYPE_XDP, 2 /* XDP_PASS */, "XDP links"));
            b = kernelAtLeast(5, 9);
            xdpLinks = b;
        }
        return b;
    }

    /** True if {@code BPF_PROG_TEST_RUN} runs sched_cls programs (Linux 4.12+). */
    public static boolean testRunSchedCls() {
        Boolean b = testRunSchedCls;
        if (b == null) {
            LibbpfLoader.require();
            int prog = loadTrivial(PROG_TYPE_SCHED_CLS, 0, "test runs of sched_cls");
            try (Memory frame = new Memory(14)) {
                frame.clear();
                Structs.TestRunOpts opts = new Structs.TestRunOpts();
                opts.data_in = frame;
                opts.data_size_in = 14;
                opts.repeat = 1;
                LibbpfLog.begin();
                int ret = LibBpf.bpf_prog_test_run_opts(prog, opts);
                if (ret == 0) {
                    b = true;
                } else if (ret == -Errno.EINVAL || ret == -Errno.ENOTSUPP || ret == -Errno.EOPNOTSUPP) {
                    b = false;
                } else {
                    throw Failures.error("feature probe test runs of sched_cls", "test run", -ret);
                }
            } finally {
                LibC.close(prog);
            }
            testRunSchedCls = b;
        }
        return b;
    }

    public static void requireTcxLinks() {
        if (!tcxLinks()) {
            throw new MissingFeatureException("tcx links", "6.6", "use legacy tc (TcFilter) instead");
        }
    }

    public static void requireXdpLinks() {
        if (!xdpLinks()) {
            throw new MissingFeatureException("XDP links", "5.9", "");
        }
    }

    public static void requireTestRunSchedCls() {
        if (!testRunSchedCls()) {
            throw new MissingFeatureException("BPF_PROG_TEST_RUN for sched_cls programs", "4.12", "");
        }
    }

    /** {@code r0 = retval; exit}, loaded with the given type; returns its fd. */
    private static int loadTrivial(int progType, int retval, String feature) {
        try (Memory insns = new Memory(16)) {
            // struct bpf_insn { u8 code; u8 dst:4, src:4; s16 off; s32 imm; }
            insns.setByte(0, (byte) 0xb7); // BPF_ALU64 | BPF_MOV | BPF_K, dst r0
            insns.setByte(1, (byte) 0);
            insns.setShort(2, (short) 0);
            insns.setInt(4, retval);
            insns.setByte(8, (byte) 0x95); // BPF_JMP | BPF_EXIT
            insns.setByte(9, (byte) 0);
            insns.setShort(10, (short) 0);
            insns.setInt(12, 0);
            LibbpfLog.begin();
            int fd = LibBpf.bpf_prog_load(progType, "kiln_probe", "GPL", insns, 2, null);
            if (fd < 0) {
                String hint = -fd == Errno.EPERM ? " (needs root, or CAP_BPF with CAP_NET_ADMIN)" : "";
                throw new BpfException(Failures.message("feature probe " + feature,
                        "load a trivial " + LibBpf.libbpf_bpf_prog_type_str(progType) + " program", -fd) + hint,
                        -fd, false, null);
            }
            return fd;
        }
    }

    private static final Pattern VERSION = Pattern.compile("^(\\d+)\\.(\\d+)");

    static boolean kernelAtLeast(int major, int minor) {
        Matcher m = VERSION.matcher(System.getProperty("os.version", ""));
        if (!m.find()) {
            return false;
        }
        int ma = Integer.parseInt(m.group(1));
        int mi = Integer.parseInt(m.group(2));
        return ma > major || (ma == major && mi >= minor);
    }
}
