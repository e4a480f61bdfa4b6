package io.kiln.agent.dataplane;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import io.kiln.lab.NetworkNamespace;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A wire between two network namespaces with a fixed delay one way, for kernels without
 * {@code sch_netem}: a TAP device in each namespace, and threads of this JVM copying Ethernet frames
 * between them, those from {@code b} to {@code a} held back {@code delay} first (in order: the
 * delay is constant). Frames go as they are, so the two TAPs behave as the two ends of a cable.
 */
final class DelayLine implements AutoCloseable {
    private interface LibC extends Library {
        LibC C = Native.load("c", LibC.class);

        int open(String path, int flags);

        int ioctl(int fd, NativeLong request, byte[] arg);

        int poll(byte[] fds, int nfds, int timeoutMs);

        NativeLong read(int fd, byte[] buf, NativeLong count);

        NativeLong write(int fd, byte[] buf, NativeLong count);

        int close(int fd);
    }

    private static final int O_RDWR = 2;
    private static final long TUNSETIFF = 0x400454caL;
    private static final short IFF_TAP = 0x0002;
    private static final short IFF_NO_PI = 0x1000;
    private static final short POLLIN = 0x0001;

    private final int fdA;
    private final int fdB;
    private final long delayNanos;
    private final LinkedBlockingQueue<long[]> dueTimes = new LinkedBlockingQueue<>();
    private final LinkedBlockingQueue<byte[]> delayed = new LinkedBlockingQueue<>();
    private final Thread[] threads;
    private volatile boolean closed;

    /** Makes TAP {@code nameA} in {@code a} and {@code nameB} in {@code b} (both down: the caller sets them up). */
    DelayLine(NetworkNamespace a, String nameA, NetworkNamespace b, String nameB, long delayNanos) throws Exception {
        this.delayNanos = delayNanos;
        this.fdA = a.call(() -> tap(nameA));
        this.fdB = b.call(() -> tap(nameB));
        threads = new Thread[] {
            new Thread(() -> copy(fdA, false), "delay-line-a-to-b"),
            new Thread(() -> copy(fdB, true), "delay-line-b-to-a"),
            new Thread(this::release, "delay-line-release"),
        };
        for (Thread t : threads) {
            t.setDaemon(true);
            t.start();
        }
    }

    private static int tap(String name) {
        int fd = LibC.C.open("/dev/net/tun", O_RDWR);
        if (fd < 0) {
            throw new IllegalStateException("open /dev/net/tun failed: errno " + Native.getLastError());
        }
        byte[] ifr = new byte[40];
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(n, 0, ifr, 0, Math.min(n.length, 15));
        short flags = (short) (IFF_TAP | IFF_NO_PI);
        ifr[16] = (byte) flags;
        ifr[17] = (byte) (flags >> 8);
        if (LibC.C.ioctl(fd, new NativeLong(TUNSETIFF), ifr) < 0) {
            int errno = Native.getLastError();
            LibC.C.close(fd);
            throw new IllegalStateException("TUNSETIFF " + name + " failed: errno " + errno);
        }
        return fd;
    }

    private void copy(int from, boolean delay) {
        byte[] pfd = new byte[8];
        pfd[0] = (byte) from;
        pfd[1] = (byte) (from >> 8);
        pfd[2] = (byte) (from >> 16);
        pfd[3] = (byte) (from >> 24);
        pfd[4] = (byte) POLLIN;
        byte[] buf = new byte[65536];
        while (!closed) {
            pfd[6] = 0;
            pfd[7] = 0;
            if (LibC.C.poll(pfd, 1, 100) <= 0) {
                continue;
            }
            long n = LibC.C.read(from, buf, new NativeLong(buf.length)).longValue();
            if (n <= 0) {
                continue;
            }
            byte[] frame = java.util.Arrays.copyOf(buf, (int) n);
            if (delay) {
                dueTimes.add(new long[] {System.nanoTime() + delayNanos});
                delayed.add(frame);
            } else {
                LibC.C.write(fdB, frame, new NativeLong(frame.length));
            }
        }
    }

    private void release() {
        while (!closed) {
            try {
                long[] due = dueTimes.poll(100, TimeUnit.MILLISECONDS);
                if (due == null) {
                    continue;
                }
                byte[] frame = delayed.take();
                for (long wait; (wait = due[0] - System.nanoTime()) > 0; ) {
                    LockSupport.parkNanos(wait);
                }
                LibC.C.write(fdA, frame, new NativeLong(frame.length));
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        for (Thread t : threads) {
            t.join(2000);
        }
        LibC.C.close(fdA);
        LibC.C.close(fdB);
    }
}
