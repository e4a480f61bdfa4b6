package io.kiln.agent.fault;

import io.kiln.host.Netns;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Bounded UDP probes from one namespace to an echo server in another, one every {@code interval}:
 * each carries a sequence number, the echo's arrival is recorded. The longest gap is the longest
 * run of probes without an echo, and the longest time between two echoes. It stops at
 * {@link #stop()} or after {@code maxProbes}.
 */
final class UdpProbes implements AutoCloseable {
    private static final long LATE_NANOS = Duration.ofSeconds(1).toNanos();

    private final String name;
    private final DatagramSocket socket;
    private final InetSocketAddress target;
    private final long intervalNanos;
    private final int maxProbes;
    private final long[] sentAt;
    private final long[] echoedAt;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final Thread sender;
    private final Thread receiver;
    private volatile int sent;
    private volatile Throwable failure;

    /** What the probes saw. */
    /**
     * @param longestSilence  the longest time between two echoes
     * @param longestSendGap  the longest time between two probes sent: a silence this long is the sender's
     *                        (a busy machine), not the dataplane's
     */
    record Result(String name, int sent, int answered, int longestUnansweredRun, Duration longestSilence,
                  Duration longestSendGap) {
        @Override
        public String toString() {
            return String.format("%s: %d sent, %d answered, longest run without an answer %d, longest silence %d ms"
                    + " (longest pause in sending %d ms)", name, sent, answered, longestUnansweredRun,
                    longestSilence.toMillis(), longestSendGap.toMillis());
        }
    }

    private UdpProbes(String name, DatagramSocket socket, InetSocketAddress target, Duration interval, int maxProbes) {
        this.name = name;
        this.socket = socket;
        this.target = target;
        this.intervalNanos = interval.toNanos();
        this.maxProbes = maxProbes;
        this.sentAt = new long[maxProbes];
        this.echoedAt = new long[maxProbes];
        this.sender = new Thread(this::send, "probe-send-" + name);
        this.receiver = new Thread(this::receive, "probe-receive-" + name);
        sender.setDaemon(true);
        receiver.setDaemon(true);
    }

    static UdpProbes start(String name, Netns from, String address, int port, Duration interval, int maxProbes) {
        DatagramSocket s = from.call(() -> {
            DatagramSocket socket = new DatagramSocket();
            socket.setSoTimeout(100);
            return socket;
        });
        UdpProbes p = new UdpProbes(name, s, new InetSocketAddress(address, port), interval, maxProbes);
        p.receiver.start();
        p.sender.start();
        return p;
    }

    private void send() {
        long start = System.nanoTime();
        try {
            for (int seq = 0; seq < maxProbes && !stopping.get(); seq++) {
                long due = start + seq * intervalNanos;
                long wait;
                while ((wait = due - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(wait);
                }
                byte[] payload = ("seq=" + seq).getBytes(StandardCharsets.US_ASCII); // text: the echo server prefixes its name
                sentAt[seq] = System.nanoTime();
                socket.send(new DatagramPacket(payload, payload.length, target));
                sent = seq + 1;
            }
        } catch (IOException | RuntimeException e) {
            failure = e;
        }
    }

    private void receive() {
        byte[] buf = new byte[64];
        long quietSince = 0;
        while (true) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                socket.receive(p);
                String text = new String(buf, 0, p.getLength(), StandardCharsets.US_ASCII);
                int at = text.lastIndexOf("seq=");
                if (at >= 0) {
                    int seq = Integer.parseInt(text.substring(at + 4).strip());
                    if (seq >= 0 && seq < maxProbes && echoedAt[seq] == 0) {
                        echoedAt[seq] = System.nanoTime();
                    }
                }
            } catch (SocketTimeoutException e) {
                if (stopping.get() && !sender.isAlive()) {
                    if (quietSince == 0) {
                        quietSince = System.nanoTime();
                    } else if (System.nanoTime() - quietSince > LATE_NANOS) {
                        return; // a late echo had a second to come
                    }
                }
            } catch (IOException e) {
                if (!socket.isClosed()) {
                    failure = e;
                }
                return;
            }
        }
    }

    int sentSoFar() {
        return sent;
    }

    /** Stops sending, waits up to a second for late echoes, and counts. */
    Result stop() throws InterruptedException {
        stopping.set(true);
        sender.join(5_000);
        receiver.join(5_000);
        socket.close();
        if (failure != null) {
            throw new IllegalStateException("probes " + name + " failed: " + failure, failure);
        }
        int n = sent;
        int answered = 0;
        int run = 0;
        int longestRun = 0;
        List<Long> echoes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (echoedAt[i] != 0) {
                answered++;
                run = 0;
                echoes.add(echoedAt[i]);
            } else {
                longestRun = Math.max(longestRun, ++run);
            }
        }
        echoes.sort(null);
        long sendGap = 0;
        for (int i = 1; i < n; i++) {
            sendGap = Math.max(sendGap, sentAt[i] - sentAt[i - 1]);
        }
        long silence = 0;
        for (int i = 1; i < echoes.size(); i++) {
            silence = Math.max(silence, echoes.get(i) - echoes.get(i - 1));
        }
        return new Result(name, n, answered, longestRun, Duration.ofNanos(silence), Duration.ofNanos(sendGap));
    }

    @Override
    public void close() {
        stopping.set(true);
        socket.close();
    }
}
