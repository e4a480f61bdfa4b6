package io.kiln.dataplane;

import io.kiln.lab.NetworkNamespace;
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
 * Small TCP and UDP servers and clients with Java sockets inside test namespaces: a socket belongs
 * to the namespace of the thread that created it, so each is created on a thread that entered
 * the namespace, then served from an ordinary daemon thread. Every wait has a timeout.
 */
final class Servers implements AutoCloseable {
    static final int TIMEOUT_MILLIS = 2000;
    private final List<AutoCloseable> open = new ArrayList<>();

    /** A TCP server answering each line with "NAME LINE" until closed. */
    void tcpEcho(NetworkNamespace ns, int port, String name) throws Exception {
        ServerSocket server = ns.call(() -> new ServerSocket(port, 50, InetAddress.getByAddress(new byte[4])));
        open.add(server);
        daemon("tcp-" + name + "-" + port, () -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(TIMEOUT_MILLIS);
                    BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                    String line = in.readLine();
                    OutputStream out = s.getOutputStream();
                    out.write((name + " " + line + "\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                } catch (IOException e) {
                    // closed, or a client that went away: serve the next one
                }
            }
        });
    }

    /** A UDP server sending each datagram back prefixed with "NAME ". */
    void udpEcho(NetworkNamespace ns, int port, String name) throws Exception {
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
                    // closed
                }
            }
        });
    }

    /** Connects from {@code ns}, sends a line, returns the answer; throws on a timeout. */
    static String tcpRequest(NetworkNamespace ns, String address, int port, String line) throws Exception {
        return ns.call(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getByName(address), port), TIMEOUT_MILLIS);
                s.setSoTimeout(TIMEOUT_MILLIS);
                s.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
                return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
            }
        });
    }

    /** True if a TCP connection from {@code ns} gets established within {@code millis}. */
    static boolean tcpConnects(NetworkNamespace ns, String address, int port, int millis) throws Exception {
        return ns.call(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getByName(address), port), millis);
                return true;
            } catch (SocketTimeoutException e) {
                return false;
            }
        });
    }

    /**
     * Sends {@code count} datagrams of {@code size} bytes from {@code ns} one after the other, each
     * waiting up to {@code waitMillis} for its echo; returns how many echoes came back.
     */
    static int udpExchange(NetworkNamespace ns, String address, int port, int count, int size, int waitMillis)
            throws Exception {
        return ns.call(() -> {
            try (DatagramSocket s = new DatagramSocket()) {
                s.setSoTimeout(waitMillis);
                InetSocketAddress to = new InetSocketAddress(InetAddress.getByName(address), port);
                int answered = 0;
                byte[] buf = new byte[2048];
                for (int i = 0; i < count; i++) {
                    byte[] payload = new byte[size];
                    payload[0] = (byte) i;
                    s.send(new DatagramPacket(payload, size, to));
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

    private static void daemon(String name, Runnable task) {
        Thread t = new Thread(task, "kiln-test-" + name);
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() {
        for (AutoCloseable c : open) {
            try {
                c.close();
            } catch (Exception e) {
                // closing a test server: nothing to do about it
            }
        }
    }
}
