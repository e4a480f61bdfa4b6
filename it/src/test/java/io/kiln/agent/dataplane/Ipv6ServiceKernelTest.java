package io.kiln.agent.dataplane;

import io.kiln.agent.Agent;
import io.kiln.lab.NetworkNamespace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Dual stack through the agent: two endpoints with an IPv6 address each (ipv6=true), the host
 * side without IPv6 at all, and an IPv6 service whose backend is the second endpoint. A TCP
 * client in the first namespace connects to the service's IPv6 address and gets the backend's
 * answer from the VIP (neighbour discovery answered by the dataplane, DNAT, local delivery,
 * reverse NAT, all in the endpoints' programs); ping6 works between the endpoints; policy applies to the backend, as for IPv4; the
 * service deleted, the VIP stops answering.
 */
class Ipv6ServiceKernelTest {
    private static final String VIP = "2001:db8:200::1";
    private static final int PORT = 8080;

    private static String ip6(int id) {
        return "2001:db8::" + (10 + id);
    }

    private static void enableIpv6(NetworkNamespace ns, int id) throws Exception {
        ns.run(() -> {
            for (String scope : new String[] {"all", "default", "eth0"}) {
                Files.writeString(Path.of("/proc/sys/net/ipv6/conf/" + scope + "/disable_ipv6"), "0");
            }
        });
        ns.ip("-6", "addr", "add", ip6(id) + "/64", "dev", "eth0", "nodad");
        ns.ip("-6", "route", "add", "default", "via", "fe80::1", "dev", "eth0");
    }

    private static String endpointYaml(AgentLab lab, int id, String labels) {
        return lab.endpointYaml(id, labels).replace("addresses: { ipv4: " + AgentLab.ip(id) + " }",
                "addresses: { ipv4: " + AgentLab.ip(id) + ", ipv6: \"" + ip6(id) + "\" }") + "build: { ipv6: true }\n";
    }

    /** A line-echo server on [::]:port in ns, closed with the returned socket. */
    private static ServerSocket echo6(NetworkNamespace ns, int port) throws Exception {
        ServerSocket server = ns.call(() -> new ServerSocket(port, 50, InetAddress.getByName("::")));
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(1000);
                    String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
                    s.getOutputStream().write(("echo " + line + " from " + s.getLocalAddress().getHostAddress() + "\n")
                            .getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // closed, or a client that went away
                }
            }
        }, "echo6");
        t.setDaemon(true);
        t.start();
        return server;
    }

    /** The answer of one TCP exchange with address:port from ns, and the peer address the client saw; null if none within 1 s. */
    private static String[] exchange(NetworkNamespace ns, String address, int port) throws Exception {
        return ns.call(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getByName(address), port), 1000);
                s.setSoTimeout(1000);
                s.getOutputStream().write("hello\n".getBytes(StandardCharsets.UTF_8));
                String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
                return new String[] {line, s.getInetAddress().getHostAddress()};
            } catch (IOException e) {
                return null;
            }
        });
    }

    @Test
    void tcpThroughAnIpv6ServiceAddress(@TempDir Path tmp) throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1, 2)) {
            io.kiln.testing.KernelRequirements.assumeTools("ping");
            enableIpv6(lab.ns(1), 1);
            enableIpv6(lab.ns(2), 2);
            lab.writeSpec("endpoints", "client.yaml", endpointYaml(lab, 1, "{app: client}"));
            lab.writeSpec("endpoints", "web.yaml", endpointYaml(lab, 2, "{app: web}"));
            lab.writeSpec("services", "web6.yaml", "name: web6\nvip: \"" + VIP + "\"\nport: 80\nbackends: [ { address: \""
                    + ip6(2) + "\", port: " + PORT + " } ]\n");
            try (ServerSocket server = echo6(lab.ns(2), PORT)) {
                KernelDataplane dp = lab.dataplane();
                Agent agent = lab.start(lab.agent(dp).specDirectory(lab.specDir, Duration.ofSeconds(2)));
                lab.awaitReady(agent, 1, 2);

                AgentLab.eventually("the IPv6 VIP answers", () -> exchange(lab.ns(1), VIP, 80) != null,
                        () -> agent.reconciler().status().toString());
                String[] got = exchange(lab.ns(1), VIP, 80);
                assertEquals("echo hello from " + InetAddress.getByName(ip6(2)).getHostAddress(), got[0],
                        "the backend answered, on its own address");
                assertEquals(InetAddress.getByName(VIP).getHostAddress(), got[1], "the client saw the VIP, not the backend");
                for (int i = 0; i < 20; i++) {
                    assertTrue(exchange(lab.ns(1), VIP, 80) != null, "connection " + i);
                }

                // ping6 between the endpoints: ICMPv6 echo through both programs (no policy yet: all allowed)
                var ping = lab.ns(1).exec(java.util.List.of("ping", "-6", "-c", "3", "-i", "0.2", "-W", "1", ip6(2)));
                assertEquals(0, ping.exitCode(), "ping6 " + ip6(2) + ": " + ping.stdout() + ping.stderr());
                assertTrue(ping.stdout().contains("3 received"), ping.stdout());

                // policy on the backend applies to service traffic: web admits only TCP 9999 now
                lab.writeSpec("policies", "web.yaml", """
                        name: web
                        endpointSelector: { matchLabels: { app: web } }
                        ingress:
                          - fromEndpoints: [ { matchLabels: { app: client } } ]
                            toPorts: [ { port: 9999, protocol: TCP } ]
                        """);
                AgentLab.eventually("denied by web's policy", () -> exchange(lab.ns(1), VIP, 80) == null,
                        () -> agent.reconciler().status().toString());
                Files.delete(lab.specDir.resolve("policies").resolve("web.yaml"));
                AgentLab.eventually("allowed again", () -> exchange(lab.ns(1), VIP, 80) != null,
                        () -> agent.reconciler().status().toString());

                // the service goes: its VIP no longer answers (nothing routes it), the backend still does directly
                Files.delete(lab.specDir.resolve("services").resolve("web6.yaml"));
                AgentLab.eventually("the VIP is gone", () -> exchange(lab.ns(1), VIP, 80) == null,
                        () -> agent.reconciler().status().toString());
                assertFalse(exchange(lab.ns(1), ip6(2), PORT) == null, "the backend's own address still works");
            }
        }
    }
}
