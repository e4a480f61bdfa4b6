package io.kiln.demo;

import io.kiln.host.Netns;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Real TCP and UDP with Java sockets inside network namespaces: a socket belongs to the namespace
 * of the thread that created it, so each is created on a thread that entered the namespace
 * ({@link Netns#call}) and then used from an ordinary thread. Servers answer "NAME LINE"; every
 * wait has a time limit. {@link #close()} closes every server.
 */
public final class Sockets implements AutoCloseable {
    private final List<AutoCloseable> open = new ArrayList<>();
    private final int timeoutMillis;

    /** @param timeoutMillis how long a server waits for a client's line before it serves the next */
    public Sockets(int timeoutMillis) {
        this.timeoutMillis = timeoutMillis;
    }

    /** A TCP server in {@code ns} answering each connection's first line with "NAME LINE". */
    public synchronized void tcpEcho(Netns ns, int port, String name) {
        ServerSocket server = ns.call(() -> new ServerSocket(port, 50, InetAddress.getByAddress(new byte[4])));
        open.add(server);
        daemon("tcp-" + name + "-" + port, () -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(timeoutMillis);
                    String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))
                            .readLine();
                    OutputStream out = s.getOutputStream();
                    out.write((name + " " + line + "\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                } catch (IOException e) {
                    // closed, or a client that went away: serve the next one
                }
            }
        });
    }

    /** A UDP server in {@code ns} sending each datagram back prefixed with "NAME ". */
    public synchronized void udpEcho(Netns ns, int port, String name) {
        DatagramSocket socket = ns.call(() -> new DatagramSocket(port));
        open.add(socket);
        daemon("udp-" + name + "-" + port, () -> {
            byte[] buf = new byte[2048];
            while (!socket.isClosed()) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    socket.receive(p);
                    byte[] reply = (name + " " + new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8))
                            .getBytes(StandardCharsets.UTF_8);
                    socket.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
                } catch (IOException e) {
                    // closed, or the reply could not go out: nothing to do but go on
                }
            }
        });
    }

    /** Connects from {@code ns}, sends a line and returns the answer line, or null when no connection was made in time. */
    public static String tcpRequest(Netns ns, String address, int port, String line, int timeoutMillis) {
        return ns.call(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getByName(address), port), timeoutMillis);
                s.setSoTimeout(timeoutMillis);
                s.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
                return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
            } catch (SocketTimeoutException e) {
                return null;
            }
        });
    }

    /**
     * Sends {@code count} datagrams from {@code ns} one after the other, each waiting up to
     * {@code waitMillis} for its echo; returns how many echoes came back.
     */
    public static int udpExchange(Netns ns, String address, int port, int count, int waitMillis) {
        return ns.call(() -> {
            try (DatagramSocket s = new DatagramSocket()) {
                s.setSoTimeout(waitMillis);
                InetSocketAddress to = new InetSocketAddress(InetAddress.getByName(address), port);
                int answered = 0;
                byte[] buf = new byte[2048];
                for (int i = 0; i < count; i++) {
                    byte[] payload = ("probe " + i).getBytes(StandardCharsets.UTF_8);
                    s.send(new DatagramPacket(payload, payload.length, to));
                    try {
                        s.receive(new DatagramPacket(buf, buf.length));
                        answered++;
                    } catch (SocketTimeoutException e) {
                        // no answer to this one
                    }
                }
                return answered;
            }
        });
    }

    /**
     * Starts {@code count} TCP connections from {@code ns} at once (non-blocking connects: one SYN
     * each, from distinct ports), waits {@code waitMillis} (under the kernel's 1 s SYN retransmit),
     * closes them all and returns how many handshakes completed.
     */
    public static int tcpConnectBurst(Netns ns, String address, int port, int count, int waitMillis) {
        return ns.call(() -> {
            List<java.nio.channels.SocketChannel> channels = new ArrayList<>();
            try {
                InetSocketAddress to = new InetSocketAddress(InetAddress.getByName(address), port);
                for (int i = 0; i < count; i++) {
                    java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open();
                    channels.add(c);
                    c.configureBlocking(false);
                    c.connect(to);
                }
                Thread.sleep(waitMillis);
                int connected = 0;
                for (java.nio.channels.SocketChannel c : channels) {
                    try {
                        if (c.finishConnect()) {
                            connected++;
                        }
                    } catch (IOException refused) {
                        // reset or unreachable: not connected
                    }
                }
                return connected;
            } finally {
                for (java.nio.channels.SocketChannel c : channels) {
                    try {
                        c.close();
                    } catch (IOException ignored) {
                        // closing: nothing to do about it
                    }
                }
            }
        });
    }

    private static void daemon(String name, Runnable task) {
        Thread t = new Thread(task, "kiln-demo-" + name);
        t.setDaemon(true);
        t.start();
    }

    @Override
    public synchronized void close() {
        for (AutoCloseable c : open) {
            try {
                c.close();
            } catch (Exception e) {
                // closing a server socket: nothing to do about it
            }
        }
        open.clear();
    }
}
