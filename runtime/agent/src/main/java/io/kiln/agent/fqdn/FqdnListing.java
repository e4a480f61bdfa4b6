package io.kiln.agent.fqdn;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kiln.agent.api.FqdnSource;
import io.kiln.agent.spec.AddressLiterals;
import io.kiln.templates.DnsEvent;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /v1/fqdn}: every learned entry (or one endpoint's, {@code ?endpoint=ID}; the first N
 * only, {@code ?limit=N}, as {@code kiln status} asks) with its name, address, expiry and TTL left,
 * and the rules it feeds; then the learner's figures ({@code stats.entries} counts them all).
 * <pre>
 * {"entries": [{"endpoint": 1, "name": "api.example.test", "address": "198.18.1.10",
 *               "expires": "...", "ttlRemainingSeconds": 12, "rules": ["client: matchName: api.example.test"]}],
 *  "stats": {"entries": 1, "redelivered": 4, "latencyMicrosP50": 180, "latencyMicrosP99": 900, ...}}
 * </pre>
 */
public final class FqdnListing implements FqdnSource {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The rules an entry feeds: "policy: selector" for each selector of the endpoint's policies that matches the name. */
    @FunctionalInterface
    public interface Rules {
        List<String> of(int endpointId, String name);
    }

    private final DnsLearner learner;
    private final Rules rules;
    private final Clock clock;

    public FqdnListing(DnsLearner learner, Rules rules, Clock clock) {
        this.learner = learner;
        this.rules = rules;
        this.clock = clock;
    }

    @Override
    public String query(Map<String, String> q) {
        for (String k : q.keySet()) {
            if (!Set.of("endpoint", "limit").contains(k)) {
                throw new IllegalArgumentException("unknown parameter '" + k + "'; known: endpoint, limit");
            }
        }
        int limit = Integer.MAX_VALUE;
        if (q.get("limit") != null) {
            String v = q.get("limit");
            if (!v.matches("[0-9]{1,6}")) {
                throw new IllegalArgumentException("limit '" + v + "': expected a number of entries (0..999999)");
            }
            limit = Integer.parseInt(v);
        }
        Integer endpoint = null;
        if (q.get("endpoint") != null) {
            String v = q.get("endpoint");
            if (!v.matches("[0-9]{1,5}")) {
                throw new IllegalArgumentException("endpoint '" + v + "': expected an endpoint id (1..65535)");
            }
            endpoint = Integer.parseInt(v);
        }
        Instant now = clock.instant();
        ObjectNode root = JSON.createObjectNode();
        ArrayNode entries = root.putArray("entries");
        List<FqdnCache.Entry> all = learner.cache().entries(endpoint);
        root.put("matching", all.size());
        for (FqdnCache.Entry e : all.subList(0, Math.min(limit, all.size()))) {
            ObjectNode o = entries.addObject();
            o.put("endpoint", e.endpointId());
            o.put("name", e.name());
            o.put("address", AddressLiterals.format(e.address()));
            o.put("expires", e.expires().toString());
            o.put("ttlRemainingSeconds", Math.max(0, Duration.between(now, e.expires()).toSeconds()));
            ArrayNode r = o.putArray("rules");
            rules.of(e.endpointId(), e.name()).forEach(r::add);
        }
        ObjectNode stats = root.putObject("stats");
        stats.put("entries", learner.cache().size());
        stats.put("refused", learner.cache().refused());
        stats.put("redelivered", learner.redelivered());
        stats.put("reading", learner.reading());
        stats.put("failMode", learner.options().failClosed() ? "closed" : "open");
        long[] lat = learner.recentLatenciesMicros();
        stats.put("latencySamples", lat.length);
        if (lat.length > 0) {
            stats.put("latencyMicrosP50", lat[(int) Math.min(lat.length - 1, Math.floor(lat.length * 0.50))]);
            stats.put("latencyMicrosP99", lat[(int) Math.min(lat.length - 1, Math.floor(lat.length * 0.99))]);
        }
        learner.dataplaneStats().forEach((s, n) -> stats.put(dataplaneName(s), n));
        if (learner.lastError() != null) {
            stats.put("lastError", learner.lastError());
        }
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String dataplaneName(DnsEvent.Stat s) {
        return switch (s) {
            case HELD -> "dataplaneHeld";
            case REDELIVERED -> "dataplaneRedelivered";
            case AGENT_DOWN_PASSED -> "dataplaneAgentDownPassed";
            case AGENT_DOWN_DROPPED -> "dataplaneAgentDownDropped";
            case LOST -> "dataplaneLost";
            case TOO_BIG -> "dataplaneTooBig";
        };
    }
}
