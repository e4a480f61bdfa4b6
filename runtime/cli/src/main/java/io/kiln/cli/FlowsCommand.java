package io.kiln.cli;

import io.kiln.agent.flow.FlowPeer;
import io.kiln.agent.flow.FlowRecord;
import java.io.PrintWriter;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "flows", mixinStandardHelpOptions = true,
        description = {"Show recent flows and drops the dataplane reported (GET /v1/flows): flow starts, flow ends with",
                "their packet and byte counts each way, and every dropped packet with its reason.",
                "--from, --to and --endpoint take an address, a CIDR, an endpoint id or interface name, or a label",
                "key=value. --json prints one JSON object a line (fields: docs/agent.md, \"Flows\")."})
final class FlowsCommand implements Callable<Integer> {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneId.systemDefault());
    private static final int FOLLOW_WAIT_MS = 20_000;

    @Mixin
    ApiOptions api;

    @Option(names = {"-f", "--follow"}, description = "Keep printing new records as they come (until interrupted).")
    boolean follow;

    @Option(names = "--from", paramLabel = "PEER", description = "Source: address, CIDR, endpoint id or name, or label k=v.")
    String from;

    @Option(names = "--to", paramLabel = "PEER", description = "Destination: address, CIDR, endpoint id or name, or label k=v.")
    String to;

    @Option(names = "--endpoint", paramLabel = "ENDPOINT", description = "Reported by, from or to this endpoint (id or name).")
    String endpoint;

    @Option(names = "--verdict", paramLabel = "VERDICT", description = "DROPPED, FORWARDED or AUDIT.")
    String verdict;

    @Option(names = "--port", paramLabel = "PORT", description = "Source or destination port.")
    Integer port;

    @Option(names = "--protocol", paramLabel = "PROTO", description = "TCP, UDP, ICMP, ICMPv6 or a number.")
    String protocol;

    @Option(names = "--type", paramLabel = "TYPE", description = "start, end, drop, update (a live flow's counters so far)"
            + " or expired.")
    String type;

    @Option(names = "--since", paramLabel = "WHEN", description = "Only records since: an instant (2026-12-04T12:00:00Z)"
            + " or a duration back from now (30s, 5m, 1h).")
    String since;

    @Option(names = {"-n", "--last"}, paramLabel = "N", defaultValue = "50",
            description = "Show the newest N records (default ${DEFAULT-VALUE}).")
    int last;

    @Option(names = "--json", description = "One JSON object a line instead of the table.")
    boolean json;

    @Option(names = "--max", paramLabel = "N", description = "With --follow: stop after N records.")
    Long max;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (last < 1) {
            throw new UsageException("--last", "--last " + last + ": expected at least 1");
        }
        PrintWriter out = spec.commandLine().getOut();
        var client = api.client();
        Map<String, String> q = new LinkedHashMap<>();
        put(q, "from", from);
        put(q, "to", to);
        put(q, "endpoint", endpoint);
        put(q, "verdict", verdict);
        put(q, "port", port == null ? null : port.toString());
        put(q, "protocol", protocol);
        put(q, "type", type);
        put(q, "since", since);
        q.put("limit", Integer.toString(last));
        if (!json) {
            out.printf("%-12s %-6s %-9s %-7s %-30s %-30s %-16s %-20s %s%n", "TIME", "TYPE", "VERDICT", "PROTO",
                    "SOURCE", "DESTINATION", "FLAGS", "PACKETS/BYTES", "REASON / ENDPOINT");
        }
        long after = 0;
        long printed = 0;
        while (true) {
            if (after > 0) {
                q.put("after", Long.toString(after));
            }
            String body = client.flows(q);
            for (String line : body.lines().toList()) {
                if (line.isBlank()) {
                    continue;
                }
                FlowRecord r = FlowRecord.fromJson(line);
                after = Math.max(after, r.seq());
                out.println(json ? line : row(r));
                printed++;
                if (max != null && printed >= max) {
                    out.flush();
                    return 0;
                }
            }
            out.flush();
            if (!follow) {
                reportLoss(client);
                return 0;
            }
            q.put("wait", Integer.toString(FOLLOW_WAIT_MS));
            q.remove("since");
        }
    }

    /**
     * Events the dataplane could not send are not in the list: say how many, on stderr (so --json stays one
     * record a line), read from the agent's metrics. Nothing when none were lost or the metrics cannot be read.
     */
    private void reportLoss(io.kiln.agent.api.AgentClient client) {
        String metrics;
        try {
            metrics = client.metrics();
        } catch (RuntimeException unreadable) {
            return;
        }
        long lost = counter(metrics, "kiln_flow_events_lost_total");
        long suppressed = counter(metrics, "kiln_flow_drop_events_suppressed_total");
        long agentDropped = counter(metrics, "kiln_flow_events_agent_dropped_total");
        if (lost + suppressed + agentDropped > 0) {
            spec.commandLine().getErr().printf("kiln flows: not listed since the agent started: %d events lost (ring"
                    + " full), %d drop events suppressed (over the drop event budget, flowDropRate), %d dropped by the"
                    + " agent (its queue full)%n", lost, suppressed, agentDropped);
            spec.commandLine().getErr().flush();
        }
    }

    /** The value of an unlabelled sample in Prometheus text; 0 when absent. */
    static long counter(String metrics, String name) {
        for (String line : metrics.lines().toList()) {
            if (line.startsWith(name + " ")) {
                try {
                    return (long) Double.parseDouble(line.substring(name.length() + 1).trim().split(" ")[0]);
                } catch (NumberFormatException bad) {
                    return 0;
                }
            }
        }
        return 0;
    }

    private static void put(Map<String, String> q, String k, String v) {
        if (v != null) {
            q.put(k, v);
        }
    }

    static String row(FlowRecord r) {
        String counts = r.type().equals("drop") ? "-"
                : r.packetsFwd() + "/" + r.bytesFwd() + " <> " + r.packetsRev() + "/" + r.bytesRev()
                + (r.rttMicros() > 0 ? " rtt " + r.rttMicros() + "us" : "");
        String who = "ep " + r.endpointId() + (r.endpointName() == null ? "" : " " + r.endpointName()) + " " + r.direction();
        return String.format("%-12s %-6s %-9s %-7s %-30s %-30s %-16s %-20s %s", TIME.format(r.time()), r.type(),
                r.verdict(), r.protocol(), peer(r.source()), peer(r.destination()),
                r.tcpFlags().isEmpty() ? "-" : String.join(",", r.tcpFlags()), counts,
                r.reason() == null ? who : r.reason() + " (" + who + ")");
    }

    private static String peer(FlowPeer p) {
        if (p.address() == null) {
            return "?";
        }
        String addr = p.address() instanceof java.net.Inet6Address ? "[" + p.ip() + "]" : p.ip();
        String name = p.name() != null ? " " + p.name() : p.identity() != 0 ? " id " + p.identity() : "";
        return addr + ":" + p.port() + name;
    }
}
