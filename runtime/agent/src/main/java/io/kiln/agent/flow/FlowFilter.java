package io.kiln.agent.flow;

import io.kiln.agent.spec.Cidr;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Which records a query wants, from the parameters of {@code GET /v1/flows} (and the options of
 * {@code kiln flows} of the same names). Every given filter must match.
 * <ul>
 *   <li>{@code from}, {@code to}: the source or destination is this address, inside this CIDR, the
 *       local endpoint of this id or interface name, or carries the label {@code key=value};</li>
 *   <li>{@code endpoint}: the endpoint that reported the record (id or interface name), or either peer;</li>
 *   <li>{@code verdict}: FORWARDED, DROPPED or AUDIT;</li>
 *   <li>{@code port}: source or destination port; {@code protocol}: TCP, UDP, ICMP, ICMPv6 or a number;</li>
 *   <li>{@code type}: start, end, drop, update or expired.</li>
 * </ul>
 */
public record FlowFilter(String from, String to, String endpoint, Verdict verdict, Integer port, String protocol,
                         String type) {
    public static final FlowFilter ALL = new FlowFilter(null, null, null, null, null, null, null);
    static final Set<String> PARAMETERS = Set.of("from", "to", "endpoint", "verdict", "port", "protocol", "type");

    /**
     * @throws IllegalArgumentException naming the parameter and what it expects
     */
    public static FlowFilter of(Map<String, String> q) {
        Verdict verdict = null;
        if (q.get("verdict") != null) {
            try {
                verdict = Verdict.valueOf(q.get("verdict").toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("verdict '" + q.get("verdict")
                        + "': expected FORWARDED, DROPPED or AUDIT");
            }
        }
        Integer port = null;
        if (q.get("port") != null) {
            try {
                port = Integer.parseInt(q.get("port"));
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port '" + q.get("port") + "': expected a number 0..65535");
            }
        }
        String type = q.get("type");
        if (type != null && !Set.of("start", "end", "drop", "update", "expired").contains(type)) {
            throw new IllegalArgumentException("type '" + type + "': expected start, end, drop, update or expired");
        }
        for (String side : new String[] {"from", "to"}) {
            String v = q.get(side);
            if (v != null && v.contains("/") && !v.contains("=")) {
                try {
                    Cidr.parse(v);
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException(side + " '" + v + "': not a CIDR (" + e.getMessage() + ")");
                }
            }
        }
        return new FlowFilter(q.get("from"), q.get("to"), q.get("endpoint"), verdict, port, q.get("protocol"), type);
    }

    public boolean matches(FlowRecord r) {
        if (verdict != null && r.verdict() != verdict) {
            return false;
        }
        if (type != null && !r.type().equals(type)) {
            return false;
        }
        if (port != null && r.source().port() != port && r.destination().port() != port) {
            return false;
        }
        if (protocol != null && !r.protocol().equalsIgnoreCase(protocol)) {
            return false;
        }
        if (from != null && !peerMatches(r.source(), from)) {
            return false;
        }
        if (to != null && !peerMatches(r.destination(), to)) {
            return false;
        }
        if (endpoint != null && !endpoint.equals(Integer.toString(r.endpointId())) && !endpoint.equals(r.endpointName())
                && !peerMatches(r.source(), endpoint) && !peerMatches(r.destination(), endpoint)) {
            return false;
        }
        return true;
    }

    private static boolean peerMatches(FlowPeer p, String what) {
        int eq = what.indexOf('=');
        if (eq > 0) {
            return what.substring(eq + 1).equals(p.labels().get(what.substring(0, eq)));
        }
        if (what.equals(p.name()) || (p.endpointId() != null && what.equals(p.endpointId().toString()))) {
            return true;
        }
        if (p.address() == null) {
            return false;
        }
        if (what.contains("/")) {
            Cidr c = Cidr.parse(what);
            return c.isIpv4() == (p.address() instanceof java.net.Inet4Address) && c.contains(p.address());
        }
        return what.equals(p.ip());
    }
}
