package io.kiln.bpf.internal;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/** The few libc calls Kiln needs next to libbpf: closing fds, mounting bpffs, entering a network namespace. */
public final class LibC {
    static {
        Native.register(LibC.class, Platform.C_LIBRARY_NAME);
    }

    public static final int O_RDONLY = 0;
    public static final int O_CLOEXEC = 0x80000;
    public static final int CLONE_NEWNET = 0x40000000;
    public static final int MNT_DETACH = 2;
    public static final int EFD_CLOEXEC = 0x80000;
    public static final int EFD_NONBLOCK = 0x800;
    public static final int EPOLL_CTL_ADD = 1;
    public static final int EPOLLIN = 0x1;

    private LibC() {
    }

    public static native int close(int fd);

    public static native int open(String path, int flags);

    public static native int mount(String source, String target, String fstype, long flags, String data);

    public static native int umount2(String target, int flags);

    public static native int setns(int fd, int nstype);

    public static native int geteuid();

    /** Returns {@code buf} (IF_NAMESIZE = 16 bytes) or NULL if the calling thread's namespace has no such interface. */
    public static native Pointer if_indextoname(int ifindex, byte[] buf);

    /** The ifindex of the interface with this name in the calling thread's network namespace, or 0. */
    public static native int if_nametoindex(String name);

    public static native int socket(int domain, int type, int protocol);

    public static native long send(int fd, byte[] buf, long len, int flags);

    public static native long sendto(int fd, byte[] buf, long len, int flags, byte[] addr, int addrlen);

    public static native long recv(int fd, byte[] buf, long len, int flags);

    public static native int setsockopt(int fd, int level, int name, int[] value, int len);

    public static native int setsockopt(int fd, int level, int name, byte[] value, int len);

    public static native int bind(int fd, byte[] sockaddr, int len);

    /** ioctl with a buffer argument (e.g. {@code struct ifreq} for SIOCGIFHWADDR). */
    public static native int ioctl(int fd, long request, byte[] arg);

    public static native int eventfd(int initval, int flags);

    /** {@code event} is a {@code struct epoll_event}: 12 bytes on x86_64 (packed: u32 events, u64 data). */
    public static native int epoll_ctl(int epfd, int op, int fd, byte[] event);

    public static native long write(int fd, byte[] buf, long count);

    public static native long read(int fd, byte[] buf, long count);

    public static native int vsnprintf(byte[] buf, long size, Pointer format, Pointer ap);
}
