package io.kiln.agent.dataplane.internal;

import io.kiln.agent.policy.DnsQueryRules;
import io.kiln.bpf.BpfMap;
import io.kiln.templates.DnsRules;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The node map {@code dns_rules}: each endpoint's DNS rules on queries, under its id
 * ({@link DnsRules} has the layout). Written so that a query the new rules allow is never refused
 * on the way: new names first, then the marker (added last, removed first), then the names no
 * longer wanted.
 */
public final class DnsRuleMaps {
    private DnsRuleMaps() {
    }

    /** The entries {@code rules} give an endpoint: key bytes to value bytes (none without rules). */
    public static Map<ByteBuffer, byte[]> entries(int endpointId, DnsQueryRules rules) {
        Map<ByteBuffer, byte[]> out = new TreeMap<>();
        if (!rules.enforced()) {
            return out;
        }
        out.put(ByteBuffer.wrap(DnsRules.markerKey(endpointId)), DnsRules.value(rules.anyName() ? DnsRules.ANY_NAME : 0));
        for (String n : rules.names()) {
            out.put(ByteBuffer.wrap(DnsRules.key(endpointId, DnsRules.NAME, n)), DnsRules.value(0));
        }
        for (String s : rules.suffixes()) {
            out.put(ByteBuffer.wrap(DnsRules.key(endpointId, DnsRules.SUFFIX, s)), DnsRules.value(0));
        }
        return out;
    }

    /** Makes the map hold exactly {@code rules} for the endpoint; other endpoints' entries stay. */
    public static void sync(BpfMap map, int endpointId, DnsQueryRules rules) {
        Set<ByteBuffer> present = new HashSet<>();
        for (byte[] k : keysOf(map, endpointId)) {
            present.add(ByteBuffer.wrap(k));
        }
        Map<ByteBuffer, byte[]> wanted = entries(endpointId, rules);
        ByteBuffer marker = ByteBuffer.wrap(DnsRules.markerKey(endpointId));
        if (!wanted.containsKey(marker) && present.contains(marker)) {
            map.delete(marker.array()); // first: from here on the endpoint's queries are not judged
        }
        wanted.forEach((k, v) -> {
            if (!k.equals(marker)) {
                map.update(k.array(), v);
            }
        });
        if (wanted.containsKey(marker)) {
            map.update(marker.array(), wanted.get(marker));
        }
        for (ByteBuffer k : present) {
            if (!wanted.containsKey(k)) {
                map.delete(k.array());
            }
        }
    }

    /** Removes the endpoint's entries (its marker first). */
    public static void clear(BpfMap map, int endpointId) {
        sync(map, endpointId, DnsQueryRules.NONE);
    }

    /** The endpoint's rules as the map holds them; entries the agent would not write are left out. */
    public static DnsQueryRules read(BpfMap map, int endpointId) {
        boolean enforced = false;
        boolean any = false;
        Set<String> names = new TreeSet<>();
        Set<String> suffixes = new TreeSet<>();
        for (byte[] k : keysOf(map, endpointId)) {
            Optional<byte[]> v = map.lookup(k);
            if (v.isEmpty()) {
                continue;
            }
            int kind = k[2] & 0xff;
            if (kind == DnsRules.MARKER) {
                enforced = true;
                any = (ByteBuffer.wrap(v.get()).order(java.nio.ByteOrder.nativeOrder()).getInt(0) & DnsRules.ANY_NAME) != 0;
                continue;
            }
            String name = dotted(k);
            if (name == null) {
                continue;
            }
            (kind == DnsRules.NAME ? names : suffixes).add(name);
        }
        return enforced ? new DnsQueryRules(true, any, new TreeSet<>(names), new TreeSet<>(suffixes)) : DnsQueryRules.NONE;
    }

    private static List<byte[]> keysOf(BpfMap map, int endpointId) {
        List<byte[]> out = new ArrayList<>();
        for (byte[] k : map.keys()) {
            if (k.length == DnsRules.KEY_SIZE && DnsRules.endpointId(k) == endpointId) {
                out.add(k);
            }
        }
        return out;
    }

    /** The dotted name of a key's wire-format name, or null when it is not one the agent writes. */
    private static String dotted(byte[] k) {
        StringBuilder sb = new StringBuilder();
        int pos = DnsRules.NAME_OFFSET;
        while (pos < k.length && k[pos] != 0) {
            int len = k[pos] & 0xff;
            if (len > 63 || pos + 1 + len >= k.length) {
                return null;
            }
            if (sb.length() > 0) {
                sb.append('.');
            }
            sb.append(new String(k, pos + 1, len, java.nio.charset.StandardCharsets.US_ASCII));
            pos += 1 + len;
        }
        return sb.length() == 0 ? null : sb.toString();
    }
}
