package io.kiln.agent.dataplane;

import io.kiln.lab.NetworkNamespace;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
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
 * TCP and UDP echo servers and one-shot clients inside test namespaces. A socket belongs to the
 * namespace of the thread that creates it, so each is created on a thread that entered the
 * namespace and then served from an ordinary daemon thread. Every wait is bounded.
 */
public final class EchoServers implements AutoCloseable {
    static final int TIMEOUT_MILLIS = 1000;
    private final List<AutoCloseable> open = new ArrayList<>();

    public void tcp(NetworkNamespace ns, int port) throws Exception {
        ServerSocket server = ns.call(() -> new ServerSocket(port, 50, InetAddress.getByAddress(new byte[4])));
        open.add(server);
        daemon(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(TIMEOUT_MILLIS);
                    String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))
                            .readLine();
                    s.getOutputStream().write(("echo " + line + "\n").getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // closed, or a client that went away
                }
            }
        });
    }

    public void udp(NetworkNamespace ns, int port) throws Exception {
        DatagramSocket socket = ns.call(() -> new DatagramSocket(port));
        open.add(socket);
        daemon(() -> {
            byte[] buf = new byte[2048];
            while (!socket.isClosed()) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    socket.receive(p);
                    socket.send(new DatagramPacket(p.getData(), p.getLength(), p.getSocketAddress()));
                } catch (IOException e) {
                    // closed
                }
            }
        });
    }

    /** True if a line sent over TCP from {@code ns} comes back. */
    public static boolean tcpWorks(NetworkNamespace ns, String address, int port) throws Exception {
        return ns.call(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getByName(address), port), TIMEOUT_MILLIS);
                s.setSoTimeout(TIMEOUT_MILLIS);
                s.getOutputStream().write("hello\n".getBytes(StandardCharsets.UTF_8));
                String answer = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))
                        .readLine();
                return "echo hello".equals(answer);
            } catch (IOException e) {
                return false;
            }
        });
    }

    /** True if a datagram sent from {@code ns} is echoed within the timeout (three tries: the first may wait for ARP). */
    public static boolean udpWorks(NetworkNamespace ns, String address, int port) throws Exception {
        return ns.call(() -> {
            try (DatagramSocket s = new DatagramSocket()) {
                s.setSoTimeout(TIMEOUT_MILLIS / 2);
                byte[] msg = "ping".getBytes(StandardCharsets.UTF_8);
                for (int i = 0; i < 3; i++) {
                    s.send(new DatagramPacket(msg, msg.length, InetAddress.getByName(address), port));
                    try {
                        DatagramPacket p = new DatagramPacket(new byte[64], 64);
                        s.receive(p);
                        return new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8).equals("ping");
                    } catch (SocketTimeoutException e) {
                        // try again
                    }
                }
                return false;
            }
        });
    }

    /**
     * True if one datagram sent from {@code ns} is echoed within {@code millis}: for a peer whose
     * neighbour entry is fresh (a TCP exchange just before), so no try waits for ARP; an echo on
     * these veths takes well under a millisecond, so a short wait tells a drop quickly.
     */
    public static boolean udpAnsweredWithin(NetworkNamespace ns, String address, int port, int millis) throws Exception {
        return ns.call(() -> {
            try (DatagramSocket s = new DatagramSocket()) {
                s.setSoTimeout(millis);
                byte[] msg = "ping".getBytes(StandardCharsets.UTF_8);
                s.send(new DatagramPacket(msg, msg.length, InetAddress.getByName(address), port));
                try {
                    DatagramPacket p = new DatagramPacket(new byte[64], 64);
                    s.receive(p);
                    return new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8).equals("ping");
                } catch (SocketTimeoutException e) {
                    return false;
                }
            }
        });
    }

    private void daemon(Runnable r) {
        Thread t = new Thread(r, "kiln-test-echo");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() {
        for (AutoCloseable c : open) {
            try {
                c.close();
            } catch (Exception e) {
                // closing the rest matters more
            }
        }
    }
}
