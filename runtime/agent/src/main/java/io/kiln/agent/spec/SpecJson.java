package io.kiln.agent.spec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/**
 * Writes specs in their own format, as JSON: what {@link SpecReader} reads back to an equal spec
 * (the API's GET answers, and what it stores).
 */
public final class SpecJson {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private SpecJson() {
    }

    public static String text(Spec spec) {
        try {
            return JSON.writeValueAsString(tree(spec));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static ObjectNode tree(Spec spec) {
        if (spec instanceof EndpointSpec e) {
            return endpoint(e);
        }
        if (spec instanceof PolicySpec p) {
            return policy(p);
        }
        return service((ServiceSpec) spec);
    }

    private static ObjectNode endpoint(EndpointSpec e) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", e.id()).put("interface", e.interfaceName()).put("template", e.template());
        if (!e.build().isEmpty()) {
            scalars(o.putObject("build"), e.build());
        }
        if (!e.constants().isEmpty()) {
            scalars(o.putObject("constants"), e.constants());
        }
        ObjectNode a = o.putObject("addresses").put("ipv4", AddressLiterals.format(e.addresses().ipv4()));
        if (e.addresses().ipv6() != null) {
            a.put("ipv6", AddressLiterals.format(e.addresses().ipv6()));
        }
        if (e.mac() != null) {
            o.put("mac", e.mac());
        }
        ObjectNode l = o.putObject("labels");
        e.labels().map().forEach(l::put);
        if (e.identity() != null) {
            o.put("identity", e.identity());
        }
        if (e.namespace() != null) {
            o.put("namespace", e.namespace());
        }
        if (!e.chain().isEmpty()) {
            com.fasterxml.jackson.databind.node.ArrayNode chain = o.putArray("chain");
            for (ChainEntry c : e.chain()) {
                ObjectNode item = chain.addObject().put("template", c.template());
                if (!c.build().isEmpty()) {
                    scalars(item.putObject("build"), c.build());
                }
                if (!c.constants().isEmpty()) {
                    scalars(item.putObject("constants"), c.constants());
                }
            }
        }
        return o;
    }

    private static ObjectNode policy(PolicySpec p) {
        ObjectNode o = JSON.createObjectNode();
        o.put("name", p.name());
        selector(o.putObject("endpointSelector"), p.endpointSelector());
        if (p.ingress() != null) {
            rules(o.putArray("ingress"), p.ingress(), true);
        }
        if (p.egress() != null) {
            rules(o.putArray("egress"), p.egress(), false);
        }
        if (!p.ingressDeny().isEmpty()) {
            rules(o.putArray("ingressDeny"), p.ingressDeny(), true);
        }
        if (!p.egressDeny().isEmpty()) {
            rules(o.putArray("egressDeny"), p.egressDeny(), false);
        }
        return o;
    }

    private static void rules(ArrayNode out, List<PolicyRule> rules, boolean ingress) {
        for (PolicyRule r : rules) {
            ObjectNode o = out.addObject();
            if (!r.endpoints().isEmpty()) {
                ArrayNode a = o.putArray(ingress ? "fromEndpoints" : "toEndpoints");
                r.endpoints().forEach(s -> selector(a.addObject(), s));
            }
            if (!r.cidrs().isEmpty()) {
                ArrayNode a = o.putArray(ingress ? "fromCIDR" : "toCIDR");
                r.cidrs().forEach(c -> a.add(c.toString()));
            }
            if (!r.entities().isEmpty()) {
                ArrayNode a = o.putArray(ingress ? "fromEntities" : "toEntities");
                r.entities().forEach(en -> a.add(en.text()));
            }
            if (!r.fqdns().isEmpty()) {
                ArrayNode a = o.putArray("toFQDNs");
                r.fqdns().forEach(q -> a.addObject().put(q.matchName() != null ? "matchName" : "matchPattern",
                        q.matchName() != null ? q.matchName() : q.matchPattern()));
            }
            if (!r.ports().isEmpty()) {
                ArrayNode a = o.putArray("toPorts");
                for (PortRule pr : r.ports()) {
                    ObjectNode po = a.addObject();
                    if (pr.port() != 0) {
                        po.put("port", pr.port());
                    }
                    po.put("protocol", pr.protocol().name());
                    if (pr.dns() != null) {
                        ArrayNode d = po.putArray("dns");
                        pr.dns().forEach(q -> d.addObject().put(q.matchName() != null ? "matchName" : "matchPattern",
                                q.matchName() != null ? q.matchName() : q.matchPattern()));
                    }
                }
            }
        }
    }

    private static void selector(ObjectNode o, LabelSelector s) {
        ObjectNode m = o.putObject("matchLabels");
        s.matchLabels().forEach(m::put);
    }

    private static ObjectNode service(ServiceSpec s) {
        ObjectNode o = JSON.createObjectNode();
        o.put("name", s.name()).put("vip", AddressLiterals.format(s.vip())).put("port", s.port())
                .put("protocol", s.protocol().name());
        ArrayNode b = o.putArray("backends");
        s.backends().forEach(x -> b.addObject().put("address", AddressLiterals.format(x.address())).put("port", x.port()));
        return o;
    }

    private static void scalars(ObjectNode o, Map<String, Object> values) {
        values.forEach((k, v) -> {
            if (v instanceof Boolean b) {
                o.put(k, b);
            } else if (v instanceof Long l) {
                o.put(k, l);
            } else if (v instanceof BigInteger b) {
                o.put(k, b);
            } else {
                o.put(k, String.valueOf(v));
            }
        });
    }
}
