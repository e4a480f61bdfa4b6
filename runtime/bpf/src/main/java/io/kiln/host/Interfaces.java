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

    /**
     * Why {@code name} cannot be an interface name, or null if it can: the kernel's rules (1 to 15
     * bytes, not {@code .} or {@code ..}, no {@code /}, {@code :} or whitespace) and no NUL or other
     * control character, which C would cut the name at or a log would print raw.
     */
    public static String nameProblem(String name) {
        if (name == null || name.isEmpty()) {
            return "the name is empty";
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes >= IFNAMSIZ) {
            return "the name is " + bytes + " bytes long, at most " + (IFNAMSIZ - 1);
        }
        if (name.equals(".") || name.equals("..")) {
            return "'" + name + "' is not a name";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || c == ':' || Character.isWhitespace(c) || Character.isISOControl(c)
                    || Character.isSpaceChar(c)) {
                return "character " + (i + 1) + " is " + (c == '/' || c == ':' ? "'" + c + "'"
                        : String.format("U+%04X", (int) c)) + "; no '/', ':', whitespace or control characters";
            }
        }
        return null;
    }

    /**
     * The interface's ifindex, or 0 if the namespace has no interface of that name.
     *
     * @throws HostException (a user error) if {@code name} is not an interface name at all
     */
    public static int ifindex(String name) {
        return LibC.if_nametoindex(checked(name));
    }

    private static String checked(String name) {
        String problem = nameProblem(name);
        if (problem != null) {
            throw new HostException("interface name '" + io.kiln.Excerpt.of(name) + "': " + problem, true);
        }
        return name;
    }

    /**
     * The interface's hardware address as {@code 02:00:00:00:00:0c}. A socket belongs to the namespace
     * of the thread that opens it, so this asks the calling thread's namespace.
     */
    public static String mac(String name) {
        byte[] ifreq = new byte[IFREQ_SIZE];
        byte[] n = checked(name).getBytes(StandardCharsets.UTF_8);
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
