package io.kiln.bench;

import io.kiln.bpf.BpfMap;
import io.kiln.runtime.AttachedEndpoint;
import io.kiln.template.ConstantDecl;
import io.kiln.template.ConstantType;
import io.kiln.template.TemplateDescriptor;
import io.kiln.runtime.maps.DropReason;
import io.kiln.runtime.maps.EndpointMaps;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
            if (policy.definition().keySize() != 8 || policy.definition().valueSize() != 4) {
                return;
            }
            for (int dir : new int[]{EndpointMaps.DIR_INGRESS, EndpointMaps.DIR_EGRESS}) {
                policy.update(EndpointMaps.policyKey(EndpointMaps.IDENTITY_ANY, 0, 0, dir),
                        EndpointMaps.policyValue(EndpointMaps.ALLOW));
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
            if (!metrics.isPerCpu() || metrics.definition().valueSize() != 16) {
                return -1;
            }
            long drops = 0;
            for (int dir = 0; dir < 2; dir++) {
                for (int reason = DropReason.FIRST_DROP; reason < DropReason.MAX; reason++) {
                    int slot = dir * DropReason.MAX + reason;
                    byte[] key = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(slot).array();
                    for (byte[] cpu : metrics.lookupPerCpu(key).orElse(List.of())) {
                        drops += ByteBuffer.wrap(cpu).order(ByteOrder.nativeOrder()).getLong(0);
                    }
                }
            }
            return drops;
        }
    }
}
