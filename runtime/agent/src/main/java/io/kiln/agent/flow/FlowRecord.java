package io.kiln.agent.flow;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One flow event as {@code GET /v1/flows} and {@code kiln flows --json} give it: the kernel's
 * event ({@code struct flow_event}) with the agent's names for its endpoint and both peers. The
 * JSON fields are documented in docs/agent.md ("Flows").
 *
 * @param seq        the agent's number of the record, rising by one per event it received
 * @param type       {@code start}, {@code end}, {@code drop}, {@code update} (a live flow's counters so far) or
 *                   {@code expired} (its conntrack entry expired: the agent's end of the flow)
 * @param direction  {@code egress} (the endpoint sent the opening or dropped packet) or {@code ingress}
 * @param reason     the drop reason ({@code POLICY_DENIED}, ...) of a drop; null for a flow
 * @param protocol   {@code TCP}, {@code UDP}, {@code ICMP}, {@code ICMPv6} or the IP protocol number
 * @param packetsFwd packets in the opening packet's direction (flows; 0 for a drop)
 * @param rttMicros  the TCP handshake's round trip seen at the endpoint, 0 when not measured
 */
public record FlowRecord(long seq, Instant time, String type, Verdict verdict, String reason, int endpointId,
                         String endpointName, String direction, String protocol, FlowPeer source,
                         FlowPeer destination, List<String> tcpFlags, Instant firstSeen, Instant lastSeen,
                         long packetsFwd, long bytesFwd, long packetsRev, long bytesRev, long rttMicros) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public FlowRecord {
        tcpFlags = List.copyOf(tcpFlags);
    }

    /** The record with the agent's sequence number set. */
    FlowRecord withSeq(long n) {
        return new FlowRecord(n, time, type, verdict, reason, endpointId, endpointName, direction, protocol, source,
                destination, tcpFlags, firstSeen, lastSeen, packetsFwd, bytesFwd, packetsRev, bytesRev, rttMicros);
    }

    /** TCP flag names of the kernel's flag byte (byte 13 of the TCP header). */
    static List<String> tcpFlagNames(int flags) {
        String[] names = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
        List<String> out = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            if ((flags & (1 << i)) != 0) {
                out.add(names[i]);
            }
        }
        return out;
    }

    static String protocolName(int proto) {
        return switch (proto) {
            case 6 -> "TCP";
            case 17 -> "UDP";
            case 1 -> "ICMP";
            case 58 -> "ICMPv6";
            default -> Integer.toString(proto);
        };
    }

    /** One line of JSON, no newline. */
    public String toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("seq", seq);
        o.put("time", time.toString());
        o.put("type", type);
        o.put("verdict", verdict.name());
        if (reason != null) {
            o.put("reason", reason);
        }
        ObjectNode ep = o.putObject("endpoint");
        ep.put("id", endpointId);
        if (endpointName != null) {
            ep.put("name", endpointName);
        }
        o.put("direction", direction);
        o.put("protocol", protocol);
        o.set("source", peer(source));
        o.set("destination", peer(destination));
        if (!tcpFlags.isEmpty()) {
            var flags = o.putArray("tcp_flags");
            tcpFlags.forEach(flags::add);
        }
        if (!type.equals("drop")) {
            o.put("first_seen", firstSeen.toString());
            o.put("last_seen", lastSeen.toString());
            o.put("packets_fwd", packetsFwd);
            o.put("bytes_fwd", bytesFwd);
            o.put("packets_rev", packetsRev);
            o.put("bytes_rev", bytesRev);
            if (rttMicros > 0) {
                o.put("rtt_us", rttMicros);
            }
        }
        try {
            return JSON.writeValueAsString(o);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e); // a tree of plain values: never
        }
    }

    private static ObjectNode peer(FlowPeer p) {
        ObjectNode o = JSON.createObjectNode();
        o.put("ip", p.ip());
        o.put("port", p.port());
        o.put("identity", p.identity());
        if (p.endpointId() != null) {
            o.put("endpoint", p.endpointId());
        }
        if (p.name() != null) {
            o.put("name", p.name());
        }
        if (!p.labels().isEmpty()) {
            ObjectNode l = o.putObject("labels");
            p.labels().forEach(l::put);
        }
        return o;
    }

    /** Reads a line of {@link #toJson()} back (for the CLI). */
    public static FlowRecord fromJson(String line) {
        try {
            var o = JSON.readTree(line);
            return new FlowRecord(o.path("seq").asLong(), Instant.parse(o.path("time").asText()),
                    o.path("type").asText(), Verdict.valueOf(o.path("verdict").asText().toUpperCase(Locale.ROOT)),
                    o.hasNonNull("reason") ? o.get("reason").asText() : null, o.path("endpoint").path("id").asInt(),
                    o.path("endpoint").hasNonNull("name") ? o.path("endpoint").get("name").asText() : null,
                    o.path("direction").asText(), o.path("protocol").asText(), peerOf(o.path("source")),
                    peerOf(o.path("destination")), strings(o.path("tcp_flags")),
                    o.hasNonNull("first_seen") ? Instant.parse(o.get("first_seen").asText()) : null,
                    o.hasNonNull("last_seen") ? Instant.parse(o.get("last_seen").asText()) : null,
                    o.path("packets_fwd").asLong(), o.path("bytes_fwd").asLong(), o.path("packets_rev").asLong(),
                    o.path("bytes_rev").asLong(), o.path("rtt_us").asLong());
        } catch (java.io.IOException | RuntimeException e) {
            throw new IllegalArgumentException("not a flow record: " + e.getMessage() + ": " + line, e);
        }
    }

    private static List<String> strings(com.fasterxml.jackson.databind.JsonNode a) {
        List<String> out = new ArrayList<>();
        a.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static FlowPeer peerOf(com.fasterxml.jackson.databind.JsonNode o) throws java.net.UnknownHostException {
        String ip = o.path("ip").asText("");
        java.util.SortedMap<String, String> labels = new java.util.TreeMap<>();
        o.path("labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
        return new FlowPeer(ip.isEmpty() ? null : java.net.InetAddress.getByName(ip), o.path("port").asInt(),
                o.path("identity").asInt(), o.hasNonNull("endpoint") ? o.get("endpoint").asInt() : null,
                o.hasNonNull("name") ? o.get("name").asText() : null, labels);
    }
}
