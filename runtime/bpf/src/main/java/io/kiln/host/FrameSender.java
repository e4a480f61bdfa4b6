package io.kiln.host;

import com.sun.jna.Native;
import io.kiln.bpf.Errno;
import io.kiln.bpf.internal.LibC;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Sends whole Ethernet frames out of an interface with a mark: an {@code AF_PACKET} raw socket
 * (opened in a network namespace and bound to it for life) with {@code SO_MARK}, through which a
 * frame enters the interface's egress path (its qdisc and tc egress programs) as if the stack had
 * sent it, {@code skb->mark} set. The socket has protocol 0: it receives nothing. Needs
 * CAP_NET_RAW and CAP_NET_ADMIN (the mark).
 */
public final class FrameSender implements AutoCloseable {
    private static final int AF_PACKET = 17;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_MARK = 36;

    private final Netns netns;
    private volatile int fd;

    private FrameSender(Netns netns, int fd) {
        this.netns = netns;
        this.fd = fd;
    }

    /** A sender of frames marked {@code mark} in {@code netns}. */
    public static FrameSender open(Netns netns, int mark) {
        // the socket belongs to the namespace of the thread that makes it; errno is that thread's
        int fdOrErrno = netns.call(() -> {
            int s = LibC.socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
            return s >= 0 ? s : -Native.getLastError();
        });
        if (fdOrErrno < 0) {
            throw new HostException("frame sender in " + netns + ": socket(AF_PACKET): " + Errno.describe(-fdOrErrno),
                    false);
        }
        int fd = fdOrErrno;
        if (LibC.setsockopt(fd, SOL_SOCKET, SO_MARK, new int[]{mark}, 4) != 0) {
            int errno = Native.getLastError();
            LibC.close(fd);
            throw new HostException("frame sender in " + netns + ": SO_MARK: " + Errno.describe(errno), false);
        }
        return new FrameSender(netns, fd);
    }

    /**
     * Sends {@code frame} (from its Ethernet header) out of interface {@code ifindex} of this sender's
     * namespace.
     *
     * @throws HostException if the kernel refuses it (the interface is gone, say)
     */
    public void send(int ifindex, byte[] frame, int length) {
        int f = fd;
        if (f < 0) {
            throw new HostException("frame sender in " + netns + ": closed", false);
        }
        // struct sockaddr_ll: family u16, protocol be16, ifindex i32, hatype u16, pkttype u8, halen u8, addr[8]
        ByteBuffer sa = ByteBuffer.allocate(20).order(ByteOrder.nativeOrder());
        sa.putShort((short) AF_PACKET);
        sa.order(ByteOrder.BIG_ENDIAN).put(frame, 12, 2); // the EtherType, as the frame has it
        sa.order(ByteOrder.nativeOrder()).putInt(ifindex).putShort((short) 0).put((byte) 0).put((byte) 6);
        sa.put(frame, 0, 6);
        long n = LibC.sendto(f, frame, length, 0, sa.array(), 20);
        if (n != length) {
            throw new HostException("frame sender in " + netns + ": sendto ifindex " + ifindex + ": "
                    + (n < 0 ? Errno.describe(Native.getLastError()) : "sent " + n + " of " + length + " bytes"), false);
        }
    }

    public Netns netns() {
        return netns;
    }

    @Override
    public synchronized void close() {
        int f = fd;
        fd = -1;
        if (f >= 0) {
            LibC.close(f);
        }
    }
}
