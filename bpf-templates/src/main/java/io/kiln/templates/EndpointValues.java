package io.kiln.templates;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One endpoint's own values for the endpoint template, with addresses as text: what its tier-1
 * build ({@code configSource=constants}) bakes into {@code .rodata} and what tier 0
 * ({@code configSource=node}) reads from its {@code endpoint_configs} entry.
 */
public record EndpointValues(int id, long identity, String ipv4, String ipv6, String mac, String nodeMac, int ifindex,
                             String gatewayIpv4) {

    /** The endpoint constants, by their descriptor names (values as {@code Constants.encodeAll} takes them). */
    public Map<String, Object> constants() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ENDPOINT_ID", id);
        m.put("IDENTITY", identity);
        m.put("ENDPOINT_IPV4", ipv4);
        m.put("ENDPOINT_IPV6", ipv6);
        m.put("ENDPOINT_MAC", mac);
        m.put("NODE_MAC", nodeMac);
        m.put("ENDPOINT_IFINDEX", ifindex);
        m.put("GATEWAY_IPV4", gatewayIpv4);
        return m;
    }
}
