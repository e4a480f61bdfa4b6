package io.kiln.bench;

import io.kiln.host.Netns;
import io.kiln.lab.UdpFlow;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Traffic that a disruption would show, between two namespaces: long-lived TCP connections each
 * making a request (8 bytes, echoed) every {@code period}, and a numbered UDP flow. Counts
 * connections broken, requests failed, datagrams lost and duplicated, and the longest gap: the
 * longest time a connection went without an answer beyond its period, and the longest time no
 * datagram arrived (sampled every 0.5 ms). Every thread and wait is bounded by {@code maxDuration}.
 */
public final class DisruptionProbe implements AutoCloseable {
    private static final int TIMEOUT_MILLIS = 5000;

    /**
     * What the probe saw.
     *
     * @param tcpGapMillis longest time one connection waited for an answer beyond its request period
     * @param udpGapMillis longest time without a datagram arriving
     */
    public record Result(int connections, int broken, long requests, long failed, double tcpGapMillis,
                         UdpFlow.Result udp, double udpGapMillis) {
        @Override
        public String toString() {
            return String.format("%d connections, %d broken, %d requests, %d failed, longest TCP gap %.1f ms; UDP %s,"
                    + " longest UDP gap %.1f ms", connections, broken, requests, failed, tcpGapMillis, udp, udpGapMillis);
        }
    }

    private final ServerSocket server;
    private final List<Socket> clients = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicInteger broken = new AtomicInteger();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong tcpGapNanos = new AtomicLong();
    private final AtomicLong udpGapNanos = new AtomicLong();
    private final long periodNanos;
    private final long deadline;
    private volatile boolean running = true;
    private UdpFlow udp;

    private DisruptionProbe(ServerSocket server, Duration period, Duration maxDuration) {
        this.server = server;
        this.periodNanos = period.toNanos();
        this.deadline = System.nanoTime() + maxDuration.toNanos();
    }

    /**
     * Starts {@code connections} TCP connections from {@code client} to {@code serverAddress}:{@code tcpPort}
     * (an echo server this probe runs in {@code serverNs}) and a UDP flow of {@code udpRate}
     * datagrams/s to {@code udpPort}; waits until every connection answered once and datagrams arrive.
     */
    public static DisruptionProbe start(Netns client, Netns serverNs, String serverAddress, int tcpPort, int udpPort,
                                        int connections, Duration period, int udpRate, Duration maxDuration) {
        ServerSocket ss = serverNs.call(() -> {
            ServerSocket s = new ServerSocket(tcpPort, connections + 8, InetAddress.getByAddress(new byte[4]));
            s.setSoTimeout(200);
            return s;
        });
        DisruptionProbe p = new DisruptionProbe(ss, period, maxDuration);
        try {
            p.daemon("probe-accept", p::accept);
            InetSocketAddress target = new InetSocketAddress(serverAddress, tcpPort);
            for (int i = 0; i < connections; i++) {
                Socket s = client.call(() -> {
                    Socket c = new Socket();
                    c.connect(target, TIMEOUT_MILLIS);
                    c.setSoTimeout(TIMEOUT_MILLIS);
                    c.setTcpNoDelay(true);
                    return c;
                });
                p.clients.add(s);
                int id = i;
                p.daemon("probe-conn-" + i, () -> p.converse(s, id));
            }
            p.udp = UdpFlow.start(client, serverNs, new InetSocketAddress(serverAddress, udpPort), udpRate,
                    udpRate * Math.max(1, maxDuration.toSeconds()), maxDuration);
            if (!p.udp.awaitReceived(100, Duration.ofSeconds(10))) {
                throw new IllegalStateException("no UDP datagram reached " + serverAddress + ":" + udpPort);
            }
            long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (p.requests.get() < connections && System.nanoTime() < until) {
                LockSupport.parkNanos(5_000_000);
            }
            if (p.requests.get() < connections) {
                throw new IllegalStateException("the TCP connections do not answer: " + p.requests.get() + " answers");
            }
            p.daemon("probe-udp-gap", p::sampleUdp);
            p.failed.set(0);
            p.tcpGapNanos.set(0);
            return p;
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
    }

    private void daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        threads.add(t);
        t.start();
    }

    private void accept() {
        while (running && System.nanoTime() < deadline) {
            try {
                Socket s = server.accept();
                s.setSoTimeout(TIMEOUT_MILLIS);
                synchronized (clients) {
                    daemon("probe-echo", () -> echo(s));
                }
            } catch (java.net.SocketTimeoutException e) {
                // look at running again
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void echo(Socket s) {
        try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[8];
            while (running && System.nanoTime() < deadline) {
                new DataInputStream(in).readFully(buf);
                out.write(buf);
            }
        } catch (IOException e) {
            // the client closed, or the probe stopped
        }
    }

    private void converse(Socket s, int id) {
        long last = System.nanoTime();
        long seq = 0;
        try {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] answer = new byte[8];
            while (running && System.nanoTime() < deadline) {
                byte[] request = ByteBuffer.allocate(8).putInt(id).putInt((int) seq++).array();
                out.write(request);
                new DataInputStream(in).readFully(answer);
                if (!java.util.Arrays.equals(request, answer)) {
                    failed.incrementAndGet();
                }
                long now = System.nanoTime();
                requests.incrementAndGet();
                tcpGapNanos.accumulateAndGet(now - last - periodNanos, Math::max);
                last = now;
                LockSupport.parkNanos(periodNanos);
            }
        } catch (IOException e) {
            if (running) {
                failed.incrementAndGet();
                broken.incrementAndGet();
            }
        }
    }

    private void sampleUdp() {
        long lastCount = udp.receivedSoFar();
        long lastChange = System.nanoTime();
        while (running && udp.isSending() && System.nanoTime() < deadline) {
            LockSupport.parkNanos(500_000);
            long n = udp.receivedSoFar();
            long now = System.nanoTime();
            if (n != lastCount) {
                udpGapNanos.accumulateAndGet(now - lastChange, Math::max);
                lastCount = n;
                lastChange = now;
            }
        }
    }

    /** Zeroes the gaps and failures: what happens from now on is measured. */
    public void mark() {
        failed.set(0);
        tcpGapNanos.set(0);
        udpGapNanos.set(0);
    }

    /** The longest gaps and the failures since the last {@link #mark()} or snapshot; starts the next window. */
    public record Window(double tcpGapMillis, double udpGapMillis, long failed, int broken) {
    }

    /** What the window since the last {@link #mark()} (or snapshot) saw; then marks. */
    public Window snapshot() {
        Window w = new Window(Math.max(0, tcpGapNanos.getAndSet(0)) / 1e6, udpGapNanos.getAndSet(0) / 1e6,
                failed.getAndSet(0), broken.get());
        return w;
    }

    /** Connections broken so far. */
    public int broken() {
        return broken.get();
    }

    /** Stops everything and counts. */
    public Result stop() {
        running = false;
        UdpFlow.Result u = udp.stop();
        for (Socket s : clients) {
            try {
                s.close();
            } catch (IOException ignored) {
                // counted already
            }
        }
        close();
        return new Result(clients.size(), broken.get(), requests.get(), failed.get(),
                Math.max(0, tcpGapNanos.get()) / 1e6, u, udpGapNanos.get() / 1e6);
    }

    @Override
    public void close() {
        running = false;
        if (udp != null) {
            udp.close();
        }
        for (Socket s : clients) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing
            }
        }
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
        for (Thread t : threads) {
            try {
                t.join(TIMEOUT_MILLIS + 1000L);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
