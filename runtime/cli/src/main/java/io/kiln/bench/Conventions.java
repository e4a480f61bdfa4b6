package io.kiln.bench;

import io.kiln.bpf.BpfMap;
import io.kiln.runtime.AttachedEndpoint;
import io.kiln.template.ConstantDecl;
import io.kiln.template.ConstantType;
import io.kiln.template.TemplateDescriptor;
import io.kiln.templates.EndpointBpf.DropReason;
import io.kiln.templates.EndpointBpf.MetricsMap;
import io.kiln.templates.EndpointBpf.PolicyMap;
import io.kiln.templates.EndpointDefines;

import java.util.List;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What a benchmark gives a template it knows nothing about: values for constants by their
 * conventional names (those of the endpoint template, DESIGN.md), and an allow-all policy when the
 * template has the endpoint template's {@code policy} map, so that traffic passes.
 */
public final class Conventions {
    /** The constant a swap benchmark alternates, in order of preference: none of them decides whether traffic passes. */
    private static final String[] SWAPPABLE = {"IDENTITY", "ENDPOINT_ID"};

    private Conventions() {
    }

    /** Values (as text, for {@code io.kiln.template.Constants}) for the declared constants this class knows. */
    public static Map<String, String> constants(TemplateDescriptor t, BenchLab lab, int endpointId) {
        Map<String, String> values = new LinkedHashMap<>();
        for (ConstantDecl c : t.constants()) {
            String v = switch (c.name()) {
                case "ENDPOINT_ID" -> Integer.toString(endpointId);
                case "IDENTITY" -> "1000";
                case "ENDPOINT_IPV4" -> BenchLab.ENDPOINT_ADDR;
                case "GATEWAY_IPV4" -> BenchLab.HOST_ADDR;
                case "ENDPOINT_MAC" -> lab.endpointMac();
                case "NODE_MAC" -> lab.hostMac();
                case "ENDPOINT_IFINDEX" -> Integer.toString(lab.hostIfindex());
                default -> null;
            };
            if (v != null) {
                values.put(c.name(), v);
            }
        }
        return values;
    }

    /** The integer constant a swap benchmark alternates between two values. */
    public static Optional<ConstantDecl> swappable(TemplateDescriptor t) {
        for (String name : SWAPPABLE) {
            Optional<ConstantDecl> c = t.constant(name);
            if (c.isPresent() && isInteger(c.get().type())) {
                return c;
            }
        }
        return t.constants().stream().filter(c -> isInteger(c.type()) && c.type() != ConstantType.U8).findFirst();
    }

    private static boolean isInteger(ConstantType type) {
        return type == ConstantType.U8 || type == ConstantType.U16 || type == ConstantType.U32 || type == ConstantType.U64;
    }

    /**
     * Allows everything both ways when the endpoint has the endpoint template's {@code policy} map
     * (key {identity, dport, proto, dir}: 8 bytes, value {action}: 4 bytes, 1 = allow); else does nothing.
     */
    public static void allowAll(AttachedEndpoint endpoint) {
        if (!endpoint.mapPins().containsKey("policy")) {
            return;
        }
        try (BpfMap policy = endpoint.openMap("policy")) {
            if (policy.definition().keySize() != PolicyMap.KEY_SIZE || policy.definition().valueSize() != PolicyMap.VALUE_SIZE) {
                return;
            }
            for (int dir : new int[]{EndpointDefines.DIR_INGRESS, EndpointDefines.DIR_EGRESS}) {
                policy.update(PolicyMap.Key.builder().identity(EndpointDefines.IDENTITY_ANY).dir(dir).build().toBytes(),
                        new PolicyMap.Value(EndpointDefines.POLICY_ALLOW).toBytes());
            }
        }
    }

    /**
     * Packets the endpoint's programs dropped, summed over reasons, directions and CPUs, from the
     * endpoint template's {@code metrics} map (per-CPU {packets, bytes} per direction and reason);
     * -1 when the endpoint has no such map.
     */
    public static long programDrops(AttachedEndpoint endpoint) {
        if (!endpoint.mapPins().containsKey("metrics")) {
            return -1;
        }
        try (BpfMap metrics = endpoint.openMap("metrics")) {
            if (!metrics.isPerCpu() || metrics.definition().valueSize() != MetricsMap.VALUE_SIZE) {
                return -1;
            }
            long drops = 0;
            for (int dir = 0; dir < 2; dir++) {
                for (DropReason reason : DropReason.values()) {
                    if (!reason.isDrop()) {
                        continue;
                    }
                    byte[] key = new MetricsMap.Key(reason.slot(dir)).toBytes();
                    for (byte[] cpu : metrics.lookupPerCpu(key).orElse(List.of())) {
                        drops += MetricsMap.Value.fromBytes(cpu).packets();
                    }
                }
            }
            return drops;
        }
    }
}
