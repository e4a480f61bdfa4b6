package io.kiln.host;

import com.sun.jna.Native;
import io.kiln.bpf.Errno;
import io.kiln.bpf.internal.LibC;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A UDP socket for the receiving end of a {@link UdpFlow}, opened through libc rather than
 * {@link java.nio.channels.DatagramChannel} for one reason: {@code SO_RCVBUFFORCE}. A receiver
 * descheduled for a few hundred milliseconds on a busy machine must not lose datagrams that the
 * dataplane delivered, and {@code SO_RCVBUF} is capped by net.core.rmem_max (a host-wide setting a
 * benchmark should not change). Opened in the calling thread's network namespace.
 */
public final class UdpReceiver implements AutoCloseable {
    private static final int AF_INET = 2;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_RCVBUF = 8;
    private static final int SO_RCVTIMEO = 20;
    private static final int SO_RCVBUFFORCE = 33;
    private static final int EAGAIN = 11;
    private static final int EINTR = 4;

    private volatile int fd;

    private UdpReceiver(int fd) {
        this.fd = fd;
    }

    /**
     * Binds to {@code address} with a receive buffer of {@code bufferBytes} (the kernel doubles it),
     * forced past rmem_max where this process may (root), else as large as rmem_max allows.
     * {@link #receive} returns after {@code timeoutMillis} without a datagram.
     */
    public static UdpReceiver open(InetSocketAddress address, int bufferBytes, int timeoutMillis) {
        if (!(address.getAddress() instanceof Inet4Address v4)) {
            throw new IllegalArgumentException("udp receiver: IPv4 only, got " + address);
        }
        int fd = LibC.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new IllegalStateException("udp receiver: socket: " + Errno.describe(Native.getLastError()));
        }
        try {
            if (LibC.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, new int[]{bufferBytes}, 4) != 0) {
                LibC.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, new int[]{bufferBytes}, 4);
            }
            ByteBuffer timeval = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
            timeval.putLong(timeoutMillis / 1000).putLong((timeoutMillis % 1000) * 1000L);
            check(LibC.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeval.array(), 16), "set receive timeout");
            // struct sockaddr_in: family (host order), port and address (network order), zero padding
            ByteBuffer sa = ByteBuffer.allocate(16);
            sa.order(ByteOrder.nativeOrder()).putShort((short) AF_INET);
            sa.order(ByteOrder.BIG_ENDIAN).putShort((short) address.getPort()).put(v4.getAddress());
            check(LibC.bind(fd, sa.array(), 16), "bind " + address);
            return new UdpReceiver(fd);
        } catch (RuntimeException e) {
            LibC.close(fd);
            throw e;
        }
    }

    /** The next datagram into {@code buf}: its length, or -1 if none came within the timeout (or the socket was closed). */
    public int receive(byte[] buf) {
        int f = fd;
        if (f < 0) {
            return -1;
        }
        long n = LibC.recv(f, buf, buf.length, 0);
        if (n >= 0) {
            return (int) n;
        }
        int errno = Native.getLastError();
        if (errno == EAGAIN || errno == EINTR || fd < 0) {
            return -1;
        }
        throw new IllegalStateException("udp receiver: recv: " + Errno.describe(errno));
    }

    public boolean isOpen() {
        return fd >= 0;
    }

    @Override
    public synchronized void close() {
        int f = fd;
        fd = -1;
        if (f >= 0) {
            LibC.close(f);
        }
    }

    private static void check(int ret, String what) {
        if (ret != 0) {
            throw new IllegalStateException("udp receiver: " + what + ": " + Errno.describe(Native.getLastError()));
        }
    }
}
