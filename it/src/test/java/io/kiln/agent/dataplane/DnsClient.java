package io.kiln.agent.dataplane;

import io.kiln.lab.NetworkNamespace;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Arrays;

/**
 * What the DNS kernel tests do as a client in an endpoint's namespace: look a name up over a UDP
 * socket (dnsjava builds and reads the messages), connect to a {@link DnsOutside} listener (it
 * writes {@code 'k'}), or both at once, the way an application does.
 */
final class DnsClient {
    private DnsClient() {
    }

    /**
     * One query for {@code name} of {@code type} ({@link Type#A} or {@link Type#AAAA}) to
     * {@code server}:53 from the calling thread's namespace: the answer's first address of that
     * type, or "" when it has none; throws when no answer comes within 2 s.
     */
    static String lookup(String server, String name, int type) throws IOException {
        Message q = Message.newQuery(Record.newRecord(Name.fromString(name + "."), type, DClass.IN));
        byte[] wire = q.toWire();
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(2000);
            s.send(new DatagramPacket(wire, wire.length, new InetSocketAddress(server, 53)));
            byte[] buf = new byte[1500];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            s.receive(p);
            for (Record r : new Message(Arrays.copyOf(buf, p.getLength())).getSection(Section.ANSWER)) {
                if (type == Type.A && r instanceof ARecord a) {
                    return a.getAddress().getHostAddress();
                }
                if (type == Type.AAAA && r instanceof AAAARecord a) {
                    return a.getAddress().getHostAddress();
                }
            }
            return "";
        }
    }

    /** A TCP connect from {@code from} to address:port that reads the listener's byte: true if it got it within 1 s. */
    static boolean connects(NetworkNamespace from, String address, int port) throws Exception {
        return from.call(() -> connect(address, port));
    }

    /** {@link #lookup} then at once a {@link #connects} to the address answered, from {@code from}: true if it got the byte. */
    static boolean lookupAndConnect(NetworkNamespace from, String server, String name, int type, int port)
            throws Exception {
        return from.call(() -> {
            String a = lookup(server, name, type);
            return !a.isEmpty() && connect(a, port);
        });
    }

    private static boolean connect(String address, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getByName(address), port), 1000);
            s.setSoTimeout(1000);
            return s.getInputStream().read() == 'k';
        } catch (IOException e) {
            return false;
        }
    }
}
