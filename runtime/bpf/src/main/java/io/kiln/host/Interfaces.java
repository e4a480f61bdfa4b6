package io.kiln.host;

import com.sun.jna.Native;
import io.kiln.bpf.Errno;
import io.kiln.bpf.internal.LibC;

import java.nio.charset.StandardCharsets;

/** Interface lookups in the calling thread's network namespace. */
public final class Interfaces {
    private static final int AF_INET = 2;
    private static final int SOCK_DGRAM = 2;
    private static final long SIOCGIFHWADDR = 0x8927;
    private static final int IFREQ_SIZE = 40;
    private static final int IFNAMSIZ = 16;

    private Interfaces() {
    }

    /** The interface's ifindex, or 0 if the namespace has no interface of that name. */
    public static int ifindex(String name) {
        return LibC.if_nametoindex(name);
    }

    /**
     * The interface's hardware address as {@code 02:00:00:00:00:0c}. A socket belongs to the namespace
     * of the thread that opens it, so this asks the calling thread's namespace.
     */
    public static String mac(String name) {
        byte[] ifreq = new byte[IFREQ_SIZE];
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(n, 0, ifreq, 0, Math.min(n.length, IFNAMSIZ - 1));
        int fd = LibC.socket(AF_INET, SOCK_DGRAM | LibC.O_CLOEXEC, 0);
        if (fd < 0) {
            throw new HostException("interface " + name + ": socket: " + Errno.describe(Native.getLastError()), false);
        }
        try {
            if (LibC.ioctl(fd, SIOCGIFHWADDR, ifreq) != 0) {
                throw new HostException("interface " + name + ": read its MAC address: "
                        + Errno.describe(Native.getLastError()), false);
            }
        } finally {
            LibC.close(fd);
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            sb.append(i == 0 ? "" : ":").append(String.format("%02x", ifreq[IFNAMSIZ + 2 + i] & 0xff));
        }
        return sb.toString();
    }
}
