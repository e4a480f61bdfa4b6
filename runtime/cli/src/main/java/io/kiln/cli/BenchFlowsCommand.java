package io.kiln.cli;

import io.kiln.agent.flow.FlowPipeline;
import io.kiln.agent.plan.Plan;
import io.kiln.bench.BenchEndpoint;
import io.kiln.bpf.BpfFs;
import io.kiln.bpf.BpfLink;
import io.kiln.bpf.BpfObject;
import io.kiln.bpf.Direction;
import io.kiln.build.BuiltVariant;
import io.kiln.host.Host;
import io.kiln.lab.NetworkNamespace;
import io.kiln.lab.Packets;
import io.kiln.lab.VethPair;
import io.kiln.template.Constants;
import io.kiln.template.Parameters;
import io.kiln.template.TemplateDescriptor;
import io.kiln.template.Templates;
import io.kiln.templates.EndpointBpf.DropReason;
import io.kiln.templates.EndpointBpf.IpcacheMap;
import io.kiln.templates.EndpointBpf.MetricsMap;
import io.kiln.templates.EndpointBpf.PolicyMap;
import io.kiln.templates.EndpointDefines;
import io.kiln.templates.EndpointValues;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "flows", mixinStandardHelpOptions = true,
        description = {"The cost of flow visibility on the path of kiln bench iptables: real 64-byte UDP from a node"
                + " namespace to one endpoint namespace over a veth, the endpoint template's to_endpoint on the"
                + " host-side veth (connectionTracking=true, loadBalancing=false, one flow), in packets received per"
                + " second with flowEvents=on vs flowEvents=off (no flow code). Modes alternate in each round;"
                + " flowsOnOverOff = onPps / offPps (medians).",
                "Then the agent's flow pipeline (io.kiln.agent.flow.FlowPipeline: its ring buffer reader and enricher)"
                        + " on the node ring buffer, fed by many short flows (every datagram a new UDP tuple, one start"
                        + " event each) at rising rates: the highest rate of events it read with none lost"
                        + " (sustainedEventsPerSecond), and what was lost at twice that rate. Needs root and ip."})
final class BenchFlowsCommand implements Callable<Integer> {
    private static final String EP_IP = BenchIptablesCommand.EP_IP;
    private static final String NODE_IP = BenchIptablesCommand.NODE_IP;
    private static final int FIRST_PORT = 1024;

    @Option(names = "--template", paramLabel = "DIR",
            description = "The endpoint template. Default: bpf-templates/src/main/bpf/endpoint of the checkout.")
    Path template;

    @Option(names = "--seconds", defaultValue = "3", description = "Sending time per pps measurement (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--rounds", defaultValue = "5", description = "pps measurements of each mode (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--event-seconds", defaultValue = "2",
            description = "Sending time per event rate step (default: ${DEFAULT-VALUE}).")
    double eventSeconds;

    @Option(names = "--start-rate", defaultValue = "20000",
            description = "First event rate tried, events a second (default: ${DEFAULT-VALUE}); doubled while nothing is"
                    + " lost, then narrowed down.")
    int startRate;

    @Option(names = "--event-source", defaultValue = "flows",
            description = "flows: real UDP from the node namespace, a new flow each datagram (one start event each);"
                    + " drops: BPF_PROG_TEST_RUN of a denied frame through to_endpoint in 1 ms batches (one drop event"
                    + " each, no drop event budget), which costs the kernel little per event, so the reader, not the"
                    + " sender, is the limit (default: ${DEFAULT-VALUE}).")
    String eventSource;

    @Option(names = "--json", description = "Print one JSON object on the last line.")
    boolean json;

    @Mixin
    CacheOptions cache;

    @Spec
    CommandSpec spec;

    /** One step of the event rate search. */
    private record Step(long targetRate, double offeredRate, double readRate, long read, long lost, long agentDropped) {
        boolean lossless() {
            return lost == 0 && agentDropped == 0;
        }

        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("targetEventsPerSecond", targetRate);
            m.put("offeredEventsPerSecond", Math.round(offeredRate));
            m.put("readEventsPerSecond", Math.round(readRate));
            m.put("read", read);
            m.put("lost", lost);
            m.put("agentDropped", agentDropped);
            return m;
        }
    }

    @Override
    public Integer call() throws Exception {
        if (rounds < 1 || seconds <= 0 || seconds > 60 || eventSeconds <= 0 || eventSeconds > 60 || startRate < 100) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--rounds must be at least 1,"
                    + " --seconds and --event-seconds between 0 and 60, --start-rate at least 100");
        }
        if (!eventSource.equals("flows") && !eventSource.equals("drops")) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--event-source " + eventSource
                    + ": expected flows or drops");
        }
        if (!Host.isRoot()) {
            spec.commandLine().getErr().println("kiln bench flows: needs root (network namespaces, BPF)");
            return Main.EXIT_BAD_INPUT;
        }
        TemplateDescriptor t = Templates.load(template != null ? template : KilnHome.endpointTemplate());
        if (t.buildParameters().stream().noneMatch(p -> p.name().equals("flowEvents"))) {
            spec.commandLine().getErr().println("kiln bench flows: template " + t.name() + " has no build parameter"
                    + " flowEvents");
            return Main.EXIT_BAD_INPUT;
        }
        BuiltVariant on = cache.builder().build(t, Parameters.resolve(t, Map.of("connectionTracking", true,
                "loadBalancing", false, "flowEvents", "on", "flowDropRate", 0)));
        BuiltVariant off = cache.builder().build(t, Parameters.resolve(t, Map.of("connectionTracking", true,
                "loadBalancing", false, "flowEvents", "off")));
        PrintWriter o = spec.commandLine().getOut();
        List<AutoCloseable> cleanup = new ArrayList<>();
        try {
            NetworkNamespace node = BenchIptablesCommand.namespace("bench-fnode", cleanup);
            NetworkNamespace ep = BenchIptablesCommand.namespace("bench-fep", cleanup);
            VethPair pair = VethPair.create(node, "lxc0", ep, "eth0");
            node.ip("link", "set", "lxc0", "address", BenchIptablesCommand.HOST_MAC);
            ep.ip("link", "set", "eth0", "address", BenchIptablesCommand.EP_MAC);
            pair.a().addAddress(NODE_IP + "/24");
            pair.b().addAddress(EP_IP + "/24");
            node.ip("neigh", "replace", EP_IP, "lladdr", BenchIptablesCommand.EP_MAC, "dev", "lxc0", "nud", "permanent");
            ep.ip("neigh", "replace", NODE_IP, "lladdr", BenchIptablesCommand.HOST_MAC, "dev", "eth0", "nud", "permanent");
            int ifindex = node.ifindex("lxc0");
            EndpointValues values = new EndpointValues(11, 3001, EP_IP, "2001:2::b", BenchIptablesCommand.EP_MAC,
                    BenchIptablesCommand.HOST_MAC, ifindex, NODE_IP);
            BpfObject onObject = load(t, on, values, "bench_flows_on", cleanup);
            BpfObject offObject = load(t, off, values, "bench_flows_off", cleanup);

            DatagramSocket receiver = ep.call(() -> {
                DatagramSocket s = new DatagramSocket(BenchIptablesCommand.PORT);
                s.setReceiveBufferSize(8 << 20);
                s.setSoTimeout(100);
                return s;
            });
            cleanup.add(0, receiver);

            measurePps(node, offObject, ifindex, receiver, Math.min(seconds, 0.5)); // warm-up
            double[] onPps = new double[rounds];
            double[] offPps = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                if (r % 2 == 0) {
                    onPps[r] = measurePps(node, onObject, ifindex, receiver, seconds);
                    offPps[r] = measurePps(node, offObject, ifindex, receiver, seconds);
                } else {
                    offPps[r] = measurePps(node, offObject, ifindex, receiver, seconds);
                    onPps[r] = measurePps(node, onObject, ifindex, receiver, seconds);
                }
            }
            double onMedian = Stats.median(onPps);
            double offMedian = Stats.median(offPps);

            Map<String, Object> out = new LinkedHashMap<>();
            out.put("frameBytes", 64);
            out.put("seconds", seconds);
            out.put("rounds", rounds);
            out.put("flowsOnPps", Math.round(onMedian));
            out.put("flowsOffPps", Math.round(offMedian));
            out.put("flowsOnOverOff", Stats.round(onMedian / offMedian, 3));
            out.put("flowsOnPpsRounds", round(onPps));
            out.put("flowsOffPpsRounds", round(offPps));
            out.put("parameters", on.parameters().canonical());
            events(node, onObject, ifindex, out);
            out.put("machine", Machine.describe());
            if (json) {
                o.println(Json.line(out));
            } else {
                out.forEach((k, v) -> o.printf("%-26s %s%n", k, v));
            }
            o.flush();
            return 0;
        } finally {
            for (AutoCloseable c : cleanup) {
                try {
                    c.close();
                } catch (Exception e) {
                    spec.commandLine().getErr().println("kiln bench flows: cleanup: " + e.getMessage());
                }
            }
        }
    }

    private static List<Long> round(double[] v) {
        List<Long> out = new ArrayList<>();
        for (double d : v) {
            out.add(Math.round(d));
        }
        return out;
    }

    private static BpfObject load(TemplateDescriptor t, BuiltVariant v, EndpointValues values, String name,
                                  List<AutoCloseable> cleanup) {
        BpfObject object = BpfObject.open(v.result().object().bytes(), name);
        cleanup.add(0, object);
        Constants.encodeAll(t, values.constants()).forEach(object::setConstant);
        object.load();
        object.map("ipcache").update(BenchEndpoint.hostKey(NODE_IP),
                new IpcacheMap.Value(BenchIptablesCommand.NODE_IDENTITY).toBytes());
        byte[] allow = new PolicyMap.Value(EndpointDefines.POLICY_ALLOW).toBytes();
        // any port, any protocol from the node: the event part opens flows to every port
        object.map("policy").update(PolicyMap.Key.builder().identity(BenchIptablesCommand.NODE_IDENTITY).dport(0).proto(0)
                .dir(EndpointDefines.DIR_INGRESS).build().toBytes(), allow);
        return object;
    }

    /** Datagrams the endpoint's socket received a second while one thread sent one flow as fast as it can. */
    private static double measurePps(NetworkNamespace node, BpfObject object, int ifindex, DatagramSocket receiver,
                                     double secs) throws Exception {
        BpfLink link = node.call(() -> object.program("to_endpoint").attachTcx(ifindex, Direction.EGRESS));
        try {
            BenchIptablesCommand.drain(receiver);
            long forwardedBefore = forwarded(object);
            long[] got = BenchIptablesCommand.receiveWhileSending(node, receiver, secs);
            long seen = forwarded(object) - forwardedBefore;
            if (seen < got[0]) {
                throw new IllegalStateException("bench flows: the socket received " + got[0]
                        + " datagrams but to_endpoint passed only " + seen + ": the program was not on the path");
            }
            return got[0] / (got[1] / 1e9);
        } finally {
            link.close();
        }
    }

    private static long forwarded(BpfObject object) {
        byte[] key = EndpointDefines.metricsKey(EndpointDefines.DIR_INGRESS, DropReason.FORWARDED).toBytes();
        long sum = 0;
        for (byte[] v : object.map("metrics").lookupPerCpu(key).orElse(List.of())) {
            sum += MetricsMap.Value.fromBytes(v).packets();
        }
        return sum;
    }

    /** The agent's flow pipeline on the node ring of {@code object}: the lossless event rate and the loss at twice it. */
    private void events(NetworkNamespace node, BpfObject object, int ifindex, Map<String, Object> out) throws Exception {
        Path dir = Files.createDirectories(BpfFs.DEFAULT.resolve("kiln-bench-flows-" + ProcessHandle.current().pid()));
        List<Path> pins = List.of(dir.resolve("flow_events"), dir.resolve("flow_lost"));
        BpfLink link = null;
        try {
            object.map("flow_events").pin(pins.get(0));
            object.map("flow_lost").pin(pins.get(1));
            try (FlowPipeline pipeline = new FlowPipeline(new FlowPipeline.Options(dir,
                    FlowPipeline.Options.DEFAULT_CAPACITY, FlowPipeline.Options.DEFAULT_QUEUE, Duration.ZERO),
                    () -> Plan.EMPTY).start()) {
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (!pipeline.reading()) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("bench flows: the flow pipeline did not open " + pins.get(0));
                    }
                    Thread.sleep(50);
                }
                BpfLink l = node.call(() -> object.program("to_endpoint").attachTcx(ifindex, Direction.EGRESS));
                link = l;
                PortCursor cursor = new PortCursor();
                dropper = object.program("to_endpoint");
                List<Step> steps = new ArrayList<>();
                Step good = null;
                Step bad = null;
                long rate = startRate;
                for (int i = 0; i < 12 && bad == null; i++, rate *= 2) { // up, doubling, to the first loss
                    Step s = step(node, pipeline, rate, cursor);
                    steps.add(s);
                    if (!s.lossless()) {
                        bad = s;
                    } else {
                        good = s;
                        if (s.offeredRate() < 0.8 * rate) {
                            break; // the sender cannot offer more: the pipeline was never the limit
                        }
                    }
                }
                if (bad != null && good != null) {
                    long lo = good.targetRate();
                    long hi = bad.targetRate();
                    for (int i = 0; i < 3; i++) { // then narrow down between the last lossless rate and the first loss
                        long mid = (lo + hi) / 2;
                        Step s = step(node, pipeline, mid, cursor);
                        steps.add(s);
                        if (s.lossless()) {
                            good = s;
                            lo = mid;
                        } else {
                            hi = mid;
                        }
                    }
                }
                out.put("eventSeconds", eventSeconds);
                out.put("eventSource", eventSource.equals("drops")
                        ? "BPF_PROG_TEST_RUN of a denied frame through to_endpoint, 1 ms batches (a drop event each)"
                        : "one new UDP flow a datagram (a start event each), paced by one sender thread");
                out.put("ringBytes", object.map("flow_events").definition().maxEntries());
                if (good != null) {
                    out.put("sustainedEventsPerSecond", Math.round(good.readRate()));
                    Step twice = step(node, pipeline, 2 * good.targetRate(), cursor);
                    steps.add(twice);
                    out.put("twiceRateOfferedEventsPerSecond", Math.round(twice.offeredRate()));
                    out.put("twiceRateReadEventsPerSecond", Math.round(twice.readRate()));
                    out.put("twiceRateLost", twice.lost());
                    out.put("twiceRateAgentDropped", twice.agentDropped());
                    out.put("twiceRateLostShare", Stats.round((double) (twice.lost() + twice.agentDropped())
                            / Math.max(1, twice.read() + twice.lost()), 3));
                }
                out.put("senderLimited", bad == null);
                out.put("eventSteps", steps.stream().map(Step::json).toList());
            }
        } finally {
            if (link != null) {
                link.close();
            }
            for (Path p : pins) {
                Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        }
    }

    /** Source and destination ports that make every datagram a new flow: each socket walks the ports in turn. */
    private static final class PortCursor {
        int socket;
        int port = FIRST_PORT;
    }

    private static final int SOCKETS = 16;

    /** Sends {@code rate} new flows a second for {@link #eventSeconds}, waits for the pipeline to settle, counts. */
    private Step step(NetworkNamespace node, FlowPipeline pipeline, long rate, PortCursor cursor) throws Exception {
        long readBefore = pipeline.received();
        long lostBefore = pipeline.kernelLost();
        long droppedBefore = pipeline.agentDropped();
        long[] sentAndNanos = eventSource.equals("drops") ? runPaced(rate, eventSeconds)
                : node.call(() -> sendPaced(rate, eventSeconds, cursor));
        long last = -1;
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) { // the reader has read what the ring holds and the enricher caught up
            Thread.sleep(200);
            long now = pipeline.received();
            if (now == last && pipeline.backlog() == 0) {
                break;
            }
            last = now;
        }
        double secs = sentAndNanos[1] / 1e9;
        long read = pipeline.received() - readBefore;
        long lost = pipeline.kernelLost() - lostBefore;
        long dropped = pipeline.agentDropped() - droppedBefore;
        return new Step(rate, (read + lost) / secs, (read - dropped) / secs, read, lost, dropped);
    }

    private io.kiln.bpf.BpfProgram dropper;

    /** Runs a denied frame through to_endpoint at {@code rate} a second (1 ms batches); returns {runs, nanos}. */
    private long[] runPaced(long rate, double secs) {
        byte[] denied = Packets.ethernet(BenchIptablesCommand.HOST_MAC, BenchIptablesCommand.EP_MAC)
                .ipv4("198.19.255.1", EP_IP).udp(5353, BenchIptablesCommand.PORT).payload(BenchIptablesCommand.PAYLOAD)
                .build(); // from an address the ipcache does not know: identity world, no policy entry
        long start = System.nanoTime();
        long end = start + (long) (secs * 1e9);
        long sent = 0;
        long now = start;
        while (now < end) {
            long due = (long) ((now - start) / 1e9 * rate);
            if (sent < due) {
                int n = (int) Math.min(due - sent, 4096);
                int verdict = dropper.testRun(io.kiln.bpf.TestRunOptions.builder().data(denied).repeat(n).build())
                        .retval();
                if (verdict != 2) {
                    throw new IllegalStateException("bench flows: the denied frame got verdict " + verdict
                            + " from to_endpoint, expected 2 (TC_ACT_SHOT)");
                }
                sent += n;
            } else {
                java.util.concurrent.locks.LockSupport.parkNanos(100_000); // ahead: leave the CPU to the reader
            }
            now = System.nanoTime();
        }
        return new long[] {sent, now - start};
    }

    /** Sends new flows at {@code rate} a second (1 ms ticks, catching up when behind); returns {sent, nanos}. */
    private static long[] sendPaced(long rate, double secs, PortCursor cursor) throws IOException {
        List<DatagramChannel> channels = new ArrayList<>();
        try {
            for (int i = 0; i < SOCKETS; i++) {
                DatagramChannel ch = DatagramChannel.open();
                ch.bind(new InetSocketAddress(InetAddress.getByName(NODE_IP), 0));
                channels.add(ch);
            }
            InetAddress dst = InetAddress.getByName(EP_IP);
            ByteBuffer buf = ByteBuffer.allocateDirect(BenchIptablesCommand.PAYLOAD);
            long start = System.nanoTime();
            long end = start + (long) (secs * 1e9);
            long sent = 0;
            long now = start;
            while (now < end) {
                long due = (long) ((now - start) / 1e9 * rate);
                for (int batch = 0; sent < due && batch < 256; batch++) { // then look at the clock again
                    buf.clear();
                    channels.get(cursor.socket).send(buf, new InetSocketAddress(dst, cursor.port));
                    sent++;
                    if (++cursor.port > 65535) {
                        cursor.port = FIRST_PORT;
                        cursor.socket = (cursor.socket + 1) % SOCKETS;
                    }
                }
                if (sent >= due) {
                    java.util.concurrent.locks.LockSupport.parkNanos(100_000); // ahead: leave the CPU to the reader
                }
                now = System.nanoTime();
            }
            return new long[] {sent, now - start};
        } finally {
            for (DatagramChannel ch : channels) {
                ch.close();
            }
        }
    }
}
