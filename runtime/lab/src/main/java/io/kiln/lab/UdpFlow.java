package io.kiln.lab;

import io.kiln.host.Netns;
import io.kiln.host.UdpReceiver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A paced stream of sequence-numbered UDP datagrams from a sender in one network namespace to a
 * receiver in another, which counts what is missing and what arrived twice. Used to show that a
 * swap drops nothing: every datagram that leaves must arrive exactly once.
 *
 * <p>Each socket belongs to the namespace it was created in, so both are created on threads that
 * entered their namespace and then used from ordinary threads. The sender paces itself in 1 ms
 * ticks (a burst per tick, at most {@link #MAX_BURST}); it stops at {@link #stop()}, at
 * {@code maxPackets} or after {@code maxDuration}, whichever comes first.
 */
public final class UdpFlow implements AutoCloseable {
    private static final int PAYLOAD = 16;
    private static final long MAGIC = 0x4b494c4e55445031L; // "KILNUDP1"
    /** Datagrams per 1 ms tick at most, so a sender that fell behind catches up without flooding a queue. */
    public static final int MAX_BURST = 256;
    /** The receiver's socket buffer (doubled by the kernel): about a second of datagrams at 60,000/s. */
    private static final int RECEIVE_BUFFER = 32 << 20;
    private static final int RECEIVE_TIMEOUT_MILLIS = 50;
    private static final long QUIET_NANOS = Duration.ofMillis(300).toNanos();

    private final DatagramChannel sender;
    private final UdpReceiver receiver;
    private final AtomicBoolean receiverStopping = new AtomicBoolean();
    private final InetSocketAddress target;
    private final Netns receiverNs;
    private final int ratePerSecond;
    private final long maxPackets;
    private final long maxNanos;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong duplicated = new AtomicLong();
    private final AtomicLong lastReceiveNanos = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final BitSet seen = new BitSet();
    private final Thread sendThread;
    private final Thread receiveThread;
    private final long[] rcvbufErrorsBefore;
    private final long backlogDropsBefore;
    private volatile long startNanos;
    private volatile long endNanos;

    /**
     * The counts at the end. Where missing datagrams went, when it can be told: {@code rcvbufErrors}
     * the receiver's socket buffer was full (the receiver fell behind); {@code backlogDrops} any
     * CPU's input backlog overflowed (the whole machine's count, /proc/net/softnet_stat, so other
     * traffic may add to it).
     */
    public record Result(long sent, long received, long missing, long duplicated, long rcvbufErrors, long backlogDrops,
                         Duration duration) {
        public double packetsPerSecond() {
            return duration.isZero() ? 0 : sent * 1e9 / duration.toNanos();
        }

        @Override
        public String toString() {
            return String.format("sent %d, received %d, missing %d, duplicated %d, receive-buffer drops %d, "
                    + "backlog drops %d, %.0f packets/s over %d ms", sent, received, missing, duplicated, rcvbufErrors,
                    backlogDrops, packetsPerSecond(), duration.toMillis());
        }
    }

    private UdpFlow(Netns senderNs, Netns receiverNs, InetSocketAddress target, int ratePerSecond, long maxPackets,
                    Duration maxDuration) {
        this.target = target;
        this.receiverNs = receiverNs;
        this.ratePerSecond = ratePerSecond;
        this.maxPackets = maxPackets;
        this.maxNanos = maxDuration.toNanos();
        this.receiver = receiverNs.call(() -> UdpReceiver.open(target, RECEIVE_BUFFER, RECEIVE_TIMEOUT_MILLIS));
        DatagramChannel s;
        try {
            s = senderNs.call(() -> {
                DatagramChannel ch = DatagramChannel.open();
                ch.connect(target);
                return ch;
            });
        } catch (RuntimeException e) {
            receiver.close();
            throw e;
        }
        this.sender = s;
        this.rcvbufErrorsBefore = udpErrors();
        this.backlogDropsBefore = backlogDrops();
        this.receiveThread = new Thread(this::receive, "kiln-udp-receiver");
        this.sendThread = new Thread(this::send, "kiln-udp-sender");
        receiveThread.setDaemon(true);
        sendThread.setDaemon(true);
    }

    /**
     * Starts sending {@code ratePerSecond} datagrams per second to {@code target} (an address of
     * the receiver's namespace) until {@link #stop()}, {@code maxPackets} or {@code maxDuration}.
     */
    public static UdpFlow start(Netns senderNs, Netns receiverNs, InetSocketAddress target, int ratePerSecond,
                                long maxPackets, Duration maxDuration) {
        if (ratePerSecond <= 0 || maxPackets <= 0 || maxDuration.isNegative() || maxDuration.isZero()) {
            throw new IllegalArgumentException("rate, packet limit and duration must be positive");
        }
        if (maxPackets >= Integer.MAX_VALUE) {
            throw new IllegalArgumentException("at most " + (Integer.MAX_VALUE - 1) + " datagrams (sequence numbers index a BitSet)");
        }
        UdpFlow flow = new UdpFlow(senderNs, receiverNs, target, ratePerSecond, maxPackets, maxDuration);
        flow.receiveThread.start();
        flow.startNanos = System.nanoTime();
        flow.sendThread.start();
        return flow;
    }

    /** Waits until {@code n} datagrams arrived (e.g. past ARP before measuring); false on timeout or if sending ended. */
    public boolean awaitReceived(long n, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (received.get() < n) {
            if (System.nanoTime() > deadline || !sendThread.isAlive() && received.get() < n && quietFor(QUIET_NANOS)) {
                return false;
            }
            LockSupport.parkNanos(1_000_000);
        }
        return true;
    }

    public long sentSoFar() {
        return sent.get();
    }

    public long receivedSoFar() {
        return received.get();
    }

    /** True while the sender is still sending (it stops at the packet or time limit on its own). */
    public boolean isSending() {
        return sendThread.isAlive();
    }

    /** Stops the sender, lets the receiver drain (until 300 ms without a datagram, at most 5 s) and counts. */
    public Result stop() {
        stopping.set(true);
        join(sendThread, Duration.ofSeconds(10));
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (received.get() - duplicated.get() < sent.get() && !quietFor(QUIET_NANOS) && System.nanoTime() < deadline) {
            LockSupport.parkNanos(10_000_000);
        }
        receiverStopping.set(true);
        join(receiveThread, Duration.ofSeconds(5));
        receiver.close(); // after its thread ended: a closed fd number could be reused under a blocked recv
        closeQuietly(sender);
        Throwable f = failure.get();
        if (f != null) {
            throw new IllegalStateException("udp flow to " + target + " failed: " + f, f);
        }
        long[] errors = udpErrors();
        long distinct;
        synchronized (seen) {
            distinct = seen.cardinality();
        }
        long s = sent.get();
        return new Result(s, received.get(), s - distinct, duplicated.get(), errors[0] - rcvbufErrorsBefore[0],
                backlogDrops() - backlogDropsBefore, Duration.ofNanos(endNanos - startNanos));
    }

    @Override
    public void close() {
        stopping.set(true);
        receiverStopping.set(true);
        join(sendThread, Duration.ofSeconds(10));
        join(receiveThread, Duration.ofSeconds(5));
        closeQuietly(sender);
        receiver.close();
    }

    private void send() {
        ByteBuffer buf = ByteBuffer.allocateDirect(PAYLOAD);
        long seq = 0;
        try {
            long deadline = startNanos + maxNanos;
            while (!stopping.get() && seq < maxPackets) {
                long now = System.nanoTime();
                if (now > deadline) {
                    break;
                }
                long due = Math.min(maxPackets, (now - startNanos) * ratePerSecond / 1_000_000_000L + 1);
                int burst = 0;
                while (seq < due && burst < MAX_BURST) {
                    buf.clear();
                    buf.putLong(seq).putLong(MAGIC).flip();
                    sender.write(buf);
                    seq++;
                    burst++;
                    sent.set(seq);
                }
                if (seq >= due) {
                    LockSupport.parkNanos(Math.max(50_000, 1_000_000_000L / ratePerSecond * Math.min(MAX_BURST, 32)));
                }
            }
        } catch (ClosedChannelException e) {
            // closed by close(): the flow was abandoned
        } catch (IOException | RuntimeException e) {
            failure.compareAndSet(null, e);
        } finally {
            endNanos = System.nanoTime();
        }
    }

    private void receive() {
        byte[] buf = new byte[64];
        ByteBuffer view = ByteBuffer.wrap(buf);
        try {
            while (!receiverStopping.get()) {
                int n = receiver.receive(buf);
                if (n < 0) {
                    continue; // timeout: look at the stop flag
                }
                lastReceiveNanos.set(System.nanoTime());
                if (n != PAYLOAD || view.getLong(8) != MAGIC) {
                    continue; // not ours
                }
                long seq = view.getLong(0);
                if (seq < 0 || seq >= maxPackets) {
                    continue;
                }
                boolean duplicate;
                synchronized (seen) {
                    duplicate = seen.get((int) seq);
                    seen.set((int) seq);
                }
                if (duplicate) {
                    duplicated.incrementAndGet();
                }
                received.incrementAndGet();
            }
        } catch (RuntimeException e) {
            failure.compareAndSet(null, e);
        }
    }

    private boolean quietFor(long nanos) {
        long last = lastReceiveNanos.get();
        return System.nanoTime() - (last == 0 ? startNanos : last) > nanos;
    }

    /** Udp RcvbufErrors and InErrors of the receiver's namespace (/proc/net/snmp as a thread inside it sees it). */
    private long[] udpErrors() {
        return receiverNs.call(() -> {
            String[] lines = Files.readString(Path.of("/proc/thread-self/net/snmp")).split("\n");
            for (int i = 0; i + 1 < lines.length; i++) {
                if (lines[i].startsWith("Udp:") && lines[i + 1].startsWith("Udp:")) {
                    String[] names = lines[i].trim().split("\\s+");
                    String[] values = lines[i + 1].trim().split("\\s+");
                    long rcvbuf = 0;
                    long in = 0;
                    for (int k = 1; k < names.length && k < values.length; k++) {
                        if (names[k].equals("RcvbufErrors")) {
                            rcvbuf = Long.parseLong(values[k]);
                        } else if (names[k].equals("InErrors")) {
                            in = Long.parseLong(values[k]);
                        }
                    }
                    return new long[]{rcvbuf, in};
                }
            }
            return new long[]{0, 0};
        });
    }

    /** Packets dropped because a CPU's input backlog (netdev_max_backlog) was full, summed over CPUs. */
    private static long backlogDrops() {
        try {
            long sum = 0;
            for (String line : Files.readAllLines(Path.of("/proc/net/softnet_stat"))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 1) {
                    sum += Long.parseLong(f[1], 16);
                }
            }
            return sum;
        } catch (IOException | RuntimeException e) {
            return 0; // not Linux, or a format this does not know: the count is a diagnosis, not a result
        }
    }

    private static void join(Thread t, Duration timeout) {
        try {
            t.join(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(DatagramChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
