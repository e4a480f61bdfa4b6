package io.kiln.bpf.internal;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * bpf(2) itself, for the few attributes libbpf 1.1 has no option for. Each command's attribute
 * layout is written out here from the kernel's uapi {@code linux/bpf.h} ({@code union bpf_attr}),
 * offsets checked against it, since the headers on our machines predate them.
 */
public final class BpfSyscall {
    static {
        Native.register(BpfSyscall.class, Platform.C_LIBRARY_NAME);
    }

    private static final int BPF_LINK_CREATE = 28;
    /** {@code BPF_F_BEFORE}: put the new program before the relative one (or first, without one). */
    public static final int BPF_F_BEFORE = 1 << 3;
    /** {@code BPF_F_AFTER}: after the relative one (or last, without one). */
    public static final int BPF_F_AFTER = 1 << 4;
    /** {@code BPF_F_ID}: the relative object is given by its id, not an fd. */
    public static final int BPF_F_ID = 1 << 5;
    /** The attribute bytes passed: link_create up to its tcx member is 32; the rest must be zero. */
    private static final int ATTR_SIZE = 64;

    private BpfSyscall() {
    }

    /** glibc's syscall(2): the number, then the arguments as registers (all integers or pointers here). */
    private static native long syscall(long number, long cmd, Pointer attr, long size);

    /**
     * {@code BPF_LINK_CREATE} of a tcx link with multi-program placement:
     * <pre>
     *   struct { __u32 prog_fd; __u32 target_ifindex; __u32 attach_type; __u32 flags;      // 0, 4, 8, 12
     *            union { ... struct { union { __u32 relative_fd; __u32 relative_id; };     // 16
     *                                 __u64 expected_revision; } tcx; ... };           // 24
     *   } link_create;
     * </pre>
     *
     * @return the new link's fd, or {@code -errno}
     */
    public static int tcxLinkCreate(int progFd, int ifindex, int attachType, int flags, int relative) {
        LibbpfLoader.require(); // the same platform checks (64-bit Linux) as for libbpf
        try (Memory attr = new Memory(ATTR_SIZE)) {
            attr.clear();
            attr.setInt(0, progFd);
            attr.setInt(4, ifindex);
            attr.setInt(8, attachType);
            attr.setInt(12, flags);
            attr.setInt(16, relative);
            attr.setLong(24, 0); // expected_revision: 0 = whatever the revision is
            long ret = syscall(sysBpf(), BPF_LINK_CREATE, attr, ATTR_SIZE);
            return ret < 0 ? -Native.getLastError() : (int) ret;
        }
    }

    private static long sysBpf() {
        String arch = System.getProperty("os.arch");
        return switch (arch) {
            case "amd64", "x86_64" -> 321;
            case "aarch64" -> 280;
            default -> throw new UnsupportedOperationException("bpf(2) syscall number unknown for architecture " + arch
                    + " (known: amd64, aarch64)");
        };
    }
}
