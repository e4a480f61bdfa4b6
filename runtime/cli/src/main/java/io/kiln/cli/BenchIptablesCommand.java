package io.kiln.cli;

import io.kiln.bench.BenchEndpoint;
import io.kiln.templates.EndpointValues;
import io.kiln.host.Host;
import io.kiln.bpf.BpfLink;
import io.kiln.bpf.BpfObject;
import io.kiln.bpf.Direction;
import io.kiln.build.BuiltVariant;
import io.kiln.template.Constants;
import io.kiln.template.Parameters;
import io.kiln.template.TemplateDescriptor;
import io.kiln.template.Templates;
import io.kiln.templates.EndpointBpf.DropReason;
import io.kiln.templates.EndpointBpf.IpcacheMap;
import io.kiln.templates.EndpointBpf.MetricsMap;
import io.kiln.templates.EndpointBpf.PolicyMap;
import io.kiln.templates.EndpointDefines;
import io.kiln.lab.NetworkNamespace;
import io.kiln.lab.Packets;
import io.kiln.lab.VethPair;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "iptables", mixinStandardHelpOptions = true,
        description = {"Real 64-byte UDP traffic from a node namespace to one endpoint namespace over a veth, in packets"
                + " received per second, with an allow-list of 10,000 rules enforced either by Kiln (the endpoint"
                + " template's to_endpoint on the host-side veth, 10,000 policy entries, connectionTracking=false so"
                + " every packet looks policy up) or by iptables (10,000 rules in the endpoint's INPUT chain, the"
                + " matching ACCEPT last), and with neither (baseline). Modes alternate in each round.",
                "ratio = kilnPps / iptablesPps. Needs root, ip and iptables."})
final class BenchIptablesCommand implements Callable<Integer> {
    static final String NODE_IP = "198.18.0.1";
    static final String EP_IP = "198.18.0.11";
    static final String EP_MAC = "02:00:00:00:01:0b";
    static final String HOST_MAC = "02:00:00:00:02:0b";
    static final long NODE_IDENTITY = 2000;
    static final int PORT = 9000;
    /** 14 Ethernet + 20 IPv4 + 8 UDP + 18 payload = 60 bytes, 64 on the wire with the FCS. */
    static final int PAYLOAD = 18;

    @Option(names = "--template", paramLabel = "DIR",
            description = "The endpoint template. Default: bpf-templates/src/main/bpf/endpoint of the checkout.")
    Path template;

    @Option(names = "--rules", defaultValue = "10000", description = "Policy entries and iptables rules (default: ${DEFAULT-VALUE}).")
    int rules;

    @Option(names = "--seconds", defaultValue = "3", description = "Sending time per measurement (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--rounds", defaultValue = "3", description = "Measurements of each mode (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--json", description = "Print one JSON object on the last line.")
    boolean json;

    @Mixin
    CacheOptions cache;

    @Spec
    CommandSpec spec;

    private enum Mode { BASELINE, KILN, IPTABLES }

    @Override
    public Integer call() throws Exception {
        if (rules < 1 || rounds < 1 || seconds <= 0 || seconds > 60) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--rules and --rounds must be at least 1, --seconds between 0 and 60");
        }
        if (!Host.isRoot()) {
            spec.commandLine().getErr().println("kiln bench iptables: needs root (network namespaces, BPF, iptables)");
            return Main.EXIT_BAD_INPUT;
        }
        TemplateDescriptor t = Templates.load(template != null ? template : KilnHome.endpointTemplate());
        Map<String, Object> parameters = Map.of("connectionTracking", false, "loadBalancing", false);
        BuiltVariant variant = cache.builder().build(t, Parameters.resolve(t, parameters));
        PrintWriter o = spec.commandLine().getOut();
        Path ruleFile = Files.createTempFile("kiln-bench-iptables", ".rules");
        List<AutoCloseable> cleanup = new ArrayList<>();
        try {
            Files.writeString(ruleFile, iptablesRules());
            NetworkNamespace node = namespace("bench-node", cleanup);
            NetworkNamespace ep = namespace("bench-ep", cleanup);
            VethPair pair = VethPair.create(node, "lxc0", ep, "eth0");
            node.ip("link", "set", "lxc0", "address", HOST_MAC);
            ep.ip("link", "set", "eth0", "address", EP_MAC);
            pair.a().addAddress(NODE_IP + "/24");
            pair.b().addAddress(EP_IP + "/24");
            // static neighbours: the measurement is UDP alone, and the endpoint never needs to answer ARP
            node.ip("neigh", "replace", EP_IP, "lladdr", EP_MAC, "dev", "lxc0", "nud", "permanent");
            ep.ip("neigh", "replace", NODE_IP, "lladdr", HOST_MAC, "dev", "eth0", "nud", "permanent");
            int ifindex = node.ifindex("lxc0");

            BpfObject object = BpfObject.open(variant.result().object().bytes(), "bench_ipt");
            cleanup.add(0, object);
            EndpointValues values = new EndpointValues(11, 3001, EP_IP, "2001:2::b", EP_MAC, HOST_MAC, ifindex, NODE_IP);
            Constants.encodeAll(t, values.constants()).forEach(object::setConstant);
            object.load();
            object.map("ipcache").update(BenchEndpoint.hostKey(NODE_IP), new IpcacheMap.Value(NODE_IDENTITY).toBytes());
            byte[] allow = new PolicyMap.Value(EndpointDefines.POLICY_ALLOW).toBytes();
            for (int i = 1; i < rules; i++) {
                object.map("policy").update(policyKey(100_000 + i), allow);
            }
            object.map("policy").update(policyKey(NODE_IDENTITY), allow);

            DatagramSocket receiver = ep.call(() -> {
                DatagramSocket s = new DatagramSocket(PORT);
                s.setReceiveBufferSize(8 << 20);
                s.setSoTimeout(100);
                return s;
            });
            cleanup.add(0, receiver);

            measure(node, ep, object, ifindex, receiver, Mode.BASELINE, Math.min(seconds, 0.5), ruleFile); // warm-up
            Map<Mode, double[]> pps = new LinkedHashMap<>();
            for (Mode m : Mode.values()) {
                pps.put(m, new double[rounds]);
            }
            Mode[] modes = Mode.values();
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < modes.length; i++) {
                    Mode m = modes[(i + r) % modes.length];
                    pps.get(m)[r] = measure(node, ep, object, ifindex, receiver, m, seconds, ruleFile);
                }
            }
            double kiln = Stats.median(pps.get(Mode.KILN));
            double iptables = Stats.median(pps.get(Mode.IPTABLES));
            double baseline = Stats.median(pps.get(Mode.BASELINE));
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("rules", rules);
            out.put("frameBytes", 64);
            out.put("seconds", seconds);
            out.put("rounds", rounds);
            out.put("kilnPps", Math.round(kiln));
            out.put("iptablesPps", Math.round(iptables));
            out.put("ratio", Stats.round(kiln / iptables, 1));
            out.put("baselinePps", Math.round(baseline));
            out.put("kilnOverBaseline", Stats.round(kiln / baseline, 3));
            out.put("kilnParameters", variant.parameters().canonical());
            out.put("iptables", io.kiln.lab.Command.run(List.of("iptables", "-V")).stdout().strip());
            out.put("machine", Machine.describe());
            if (json) {
                o.println(Json.line(out));
            } else {
                out.forEach((k, v) -> o.printf("%-18s %s%n", k, v));
            }
            o.flush();
            return 0;
        } finally {
            for (AutoCloseable c : cleanup) {
                try {
                    c.close();
                } catch (Exception e) {
                    spec.commandLine().getErr().println("kiln bench iptables: cleanup: " + e.getMessage());
                }
            }
            Files.deleteIfExists(ruleFile);
        }
    }

    static NetworkNamespace namespace(String prefix, List<AutoCloseable> cleanup) {
        NetworkNamespace ns = NetworkNamespace.create(prefix);
        cleanup.add(ns);
        try {
            // no IPv6 chatter (router solicitations, MLD) on the measured veth; /proc/sys/net shows the thread's namespace
            ns.run(() -> {
                for (String scope : new String[] {"all", "default"}) {
                    Files.writeString(Path.of("/proc/sys/net/ipv6/conf/" + scope + "/disable_ipv6"), "1");
                }
            });
        } catch (Exception e) {
            throw new IllegalStateException(ns + ": cannot turn IPv6 off: " + e, e);
        }
        return ns;
    }

    /** rules-1 ACCEPTs for other sources, then the one that matches: every packet walks the whole chain. */
    private String iptablesRules() {
        StringBuilder sb = new StringBuilder("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n");
        for (int i = 1; i < rules; i++) {
            sb.append("-A INPUT -s 198.19.").append((i >> 8) & 0xff).append('.').append(i & 0xff)
                    .append("/32 -p udp --dport ").append(PORT).append(" -j ACCEPT\n");
        }
        sb.append("-A INPUT -s ").append(NODE_IP).append("/32 -p udp --dport ").append(PORT).append(" -j ACCEPT\n");
        sb.append("-A INPUT -p udp --dport ").append(PORT).append(" -j DROP\nCOMMIT\n");
        return sb.toString();
    }

    private double measure(NetworkNamespace node, NetworkNamespace ep, BpfObject object, int ifindex,
                           DatagramSocket receiver, Mode mode, double secs, Path ruleFile) throws Exception {
        BpfLink link = null;
        if (mode == Mode.KILN) {
            link = node.call(() -> object.program("to_endpoint").attachTcx(ifindex, Direction.EGRESS));
        } else if (mode == Mode.IPTABLES) {
            ep.exec(List.of("iptables-restore", ruleFile.toString())).orThrow();
        }
        try {
            drain(receiver);
            long forwardedBefore = forwarded(object);
            long[] got = receiveWhileSending(node, receiver, secs);
            if (mode == Mode.KILN) {
                long seen = forwarded(object) - forwardedBefore;
                if (seen < got[0]) {
                    throw new IllegalStateException("bench iptables: the socket received " + got[0]
                            + " datagrams but to_endpoint passed only " + seen + ": the program was not on the path");
                }
            }
            return got[0] / (got[1] / 1e9);
        } finally {
            if (link != null) {
                link.close();
            }
            if (mode == Mode.IPTABLES) {
                ep.exec(List.of("iptables", "-F", "INPUT")).orThrow();
            }
        }
    }

    /** Packets to_endpoint passed (summed over CPUs). */
    private static long forwarded(BpfObject object) {
        byte[] key = EndpointDefines.metricsKey(EndpointDefines.DIR_INGRESS, DropReason.FORWARDED).toBytes();
        long sum = 0;
        for (byte[] v : object.map("metrics").lookupPerCpu(key).orElse(List.of())) {
            sum += MetricsMap.Value.fromBytes(v).packets();
        }
        return sum;
    }

    /** The ingress UDP policy key of the benchmark's port for {@code identity}. */
    private static byte[] policyKey(long identity) {
        return PolicyMap.Key.builder().identity(identity).dport(PORT).proto(Packets.IPPROTO_UDP)
                .dir(EndpointDefines.DIR_INGRESS).build().toBytes();
    }

    /** Sends as fast as one thread can for {@code secs}; returns the nanoseconds it sent for. */
    /**
     * Counts what {@code receiver} gets while one thread in {@code node} sends for {@code secs}
     * ({@link #send}); returns {received, nanoseconds sent}. What is still queued 200 ms after the
     * sender stops is counted too.
     */
    static long[] receiveWhileSending(NetworkNamespace node, DatagramSocket receiver, double secs) throws Exception {
        AtomicLong received = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        Thread counter = new Thread(() -> {
            byte[] buf = new byte[256];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            while (!stop.get()) {
                try {
                    receiver.receive(p);
                    received.incrementAndGet();
                } catch (SocketTimeoutException e) {
                    // look at the stop flag again
                } catch (IOException e) {
                    return;
                }
            }
        }, "kiln-bench-receiver");
        counter.start();
        long nanos = node.call(() -> send(secs));
        Thread.sleep(200); // what is still queued towards the socket arrives
        stop.set(true);
        counter.join(5000);
        return new long[] {received.get(), nanos};
    }

    static long send(double secs) throws IOException {
        try (DatagramChannel ch = DatagramChannel.open()) {
            ch.connect(new InetSocketAddress(InetAddress.getByName(EP_IP), PORT));
            ByteBuffer buf = ByteBuffer.allocateDirect(PAYLOAD);
            long start = System.nanoTime();
            long end = start + (long) (secs * 1e9);
            long now = start;
            while (now < end) {
                for (int i = 0; i < 64; i++) {
                    buf.clear();
                    ch.write(buf);
                }
                now = System.nanoTime();
            }
            return now - start;
        }
    }

    static void drain(DatagramSocket s) throws IOException {
        byte[] buf = new byte[256];
        for (int i = 0; i < 1_000_000; i++) {
            try {
                s.receive(new DatagramPacket(buf, buf.length));
            } catch (SocketTimeoutException e) {
                return;
            }
        }
    }
}
