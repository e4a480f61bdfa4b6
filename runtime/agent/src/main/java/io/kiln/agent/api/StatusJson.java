package io.kiln.agent.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kiln.agent.spec.SpecError;
import io.kiln.agent.spec.SpecKind;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The JSON of {@link AgentStatus}, written by the API and read back by {@link AgentClient}. */
public final class StatusJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private StatusJson() {
    }

    public static ObjectNode write(AgentStatus s) {
        ObjectNode o = JSON.createObjectNode();
        o.put("time", s.time().toString()).put("synced", s.synced()).put("total", s.total()).put("ready", s.ready());
        o.put("node", s.node().name());
        putNullable(o, "nodeReason", s.nodeReason());
        ArrayNode eps = o.putArray("endpoints");
        for (EndpointStatus e : s.endpoints()) {
            ObjectNode x = eps.addObject();
            x.put("id", e.id()).put("state", e.state().name());
            putNullable(x, "reason", e.reason());
            putNullable(x, "interface", e.interfaceName());
            putNullable(x, "template", e.template());
            if (e.identity() != null) {
                x.put("identity", e.identity());
            }
            ObjectNode ids = x.putObject("programIds");
            e.programIds().forEach(ids::put);
            putNullable(x, "variantKey", e.variantKey());
            putNullable(x, "lastChange", e.lastChange());
            putNullable(x, "lastRegeneration", e.lastRegeneration() == null ? null : e.lastRegeneration().toString());
            if (e.lastRegenerationMillis() != null) {
                x.put("lastRegenerationMillis", e.lastRegenerationMillis());
            }
            x.put("failures", e.failures());
            putNullable(x, "nextRetry", e.nextRetry() == null ? null : e.nextRetry().toString());
            if (e.tier() == null) {
                x.putNull("tier");
            } else {
                x.put("tier", e.tier());
            }
            putNullable(x, "hooks", e.hooks());
            putNullable(x, "pendingMove", e.pendingMove());
        }
        ArrayNode errs = o.putArray("errors");
        for (SpecError e : s.errors()) {
            ObjectNode x = errs.addObject();
            putNullable(x, "kind", e.kind() == null ? null : e.kind().word());
            putNullable(x, "key", e.key());
            x.put("source", e.source()).put("line", e.line()).put("field", e.field()).put("message", e.message())
                    .put("previousKept", e.previousKept());
        }
        return o;
    }

    public static AgentStatus read(JsonNode o) {
        List<EndpointStatus> eps = new ArrayList<>();
        for (JsonNode x : o.path("endpoints")) {
            Map<String, Integer> ids = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> kv : x.path("programIds").properties()) {
                ids.put(kv.getKey(), kv.getValue().asInt());
            }
            eps.add(new EndpointStatus(x.path("id").asInt(), EndpointStatus.State.valueOf(x.path("state").asText()),
                    text(x, "reason"), text(x, "interface"), text(x, "template"),
                    x.hasNonNull("identity") ? x.get("identity").asInt() : null, ids, text(x, "variantKey"),
                    text(x, "lastChange"), instant(x, "lastRegeneration"),
                    x.hasNonNull("lastRegenerationMillis") ? x.get("lastRegenerationMillis").asLong() : null,
                    x.path("failures").asInt(), instant(x, "nextRetry"),
                    x.hasNonNull("tier") ? x.get("tier").asInt() : null, text(x, "hooks"), text(x, "pendingMove")));
        }
        List<SpecError> errors = new ArrayList<>();
        for (JsonNode x : o.path("errors")) {
            String kind = text(x, "kind");
            errors.add(new SpecError(kind == null ? null : SpecKind.valueOf(kind.toUpperCase(java.util.Locale.ROOT)),
                    text(x, "key"), x.path("source").asText(), x.path("line").asInt(), x.path("field").asText(),
                    x.path("message").asText(), x.path("previousKept").asBoolean()));
        }
        return new AgentStatus(Instant.parse(o.path("time").asText()), o.path("synced").asBoolean(),
                o.path("total").asInt(), o.path("ready").asInt(), eps,
                EndpointStatus.State.valueOf(o.path("node").asText("PENDING")), text(o, "nodeReason"), errors);
    }

    private static void putNullable(ObjectNode o, String k, String v) {
        if (v == null) {
            o.putNull(k);
        } else {
            o.put(k, v);
        }
    }

    private static String text(JsonNode o, String k) {
        JsonNode v = o.get(k);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static Instant instant(JsonNode o, String k) {
        String t = text(o, k);
        return t == null ? null : Instant.parse(t);
    }
}
