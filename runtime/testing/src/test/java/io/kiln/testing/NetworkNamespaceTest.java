package io.kiln.testing;

import io.kiln.lab.NetworkNamespace;
import io.kiln.lab.VethPair;

import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NetworkNamespaceTest {
    /** The interfaces of the calling thread's namespace (/proc/self is the process's main thread). */
    private static final Path THREAD_NET_DEV = Path.of("/proc/thread-self/net/dev");

    @Test
    void udpCrossesAVethBetweenTwoNamespaces() throws Exception {
        KernelRequirements.assumeKernel();
        KernelRequirements.assumeTools("ip");
        NetworkNamespace a = NetworkNamespace.create("test-a");
        NetworkNamespace b = NetworkNamespace.create("test-b");
        try {
            assertTrue(a.name().matches("kiln-test-a-[0-9a-f]{6}"), a.name());
            assertTrue(a.exists());
            VethPair veth = VethPair.create(a, "kt-a0", b, "kt-b0");
            veth.a().addAddress("198.18.0.1/24");
            veth.b().addAddress("198.18.0.2/24");
            assertTrue(veth.a().ifindex() > 1);
            assertTrue(a.call(() -> Files.readString(THREAD_NET_DEV).contains("kt-a0")),
                    "a thread in the namespace sees its interfaces");

            try (DatagramSocket receiver = b.call(() -> new DatagramSocket(new InetSocketAddress("198.18.0.2", 5000)));
                 DatagramSocket sender = a.call(DatagramSocket::new)) {
                receiver.setSoTimeout(5000);
                byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
                sender.send(new DatagramPacket(hello, hello.length, InetAddress.getByName("198.18.0.2"), 5000));
                DatagramPacket got = new DatagramPacket(new byte[16], 16);
                receiver.receive(got);
                assertEquals("hello", new String(got.getData(), 0, got.getLength(), StandardCharsets.US_ASCII));
                assertEquals("198.18.0.1", got.getAddress().getHostAddress());
            }
            assertEquals(io.kiln.host.Netns.named(a.name()), a.netns());
            assertTrue(a.netns().findInterface("kt-a0").isPresent(), "the host API enters the same namespace");
            java.io.IOException thrown = new java.io.IOException("from the task");
            assertTrue(thrown == assertThrows(java.io.IOException.class, () -> a.run(() -> {
                throw thrown;
            })), "a checked exception of the task reaches the caller unchanged");
            assertFalse(Files.readString(THREAD_NET_DEV).contains("kt-a0"),
                    "the test's own thread stayed in the host namespace");
        } finally {
            a.close();
            b.close();
        }
        assertFalse(a.exists());
        assertFalse(b.exists());
        a.close(); // idempotent
    }

    @Test
    void onlyBenchmarkingAddressesAreAllowed() {
        VethPair.checkTestAddress("198.18.0.1/24");
        VethPair.checkTestAddress("198.19.255.254/16");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VethPair.checkTestAddress("10.0.0.1/24"));
        assertEquals("address '10.0.0.1/24': tests use only 198.18.0.0/15 (RFC 2544 benchmarking range), never "
                + "routable addresses", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> VethPair.checkTestAddress("198.18.0.0/8"));
        assertThrows(IllegalArgumentException.class, () -> VethPair.checkTestAddress("198.20.0.1/24"));
        assertThrows(IllegalArgumentException.class, () -> VethPair.checkTestAddress("fd00::1/64"));
    }

    @Test
    void namespaceNamesAreChecked() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NetworkNamespace.create("Bad Name"));
        assertEquals("namespace prefix 'Bad Name': lower-case letters, digits and '-'", e.getMessage());
    }
}
