package io.kiln.bench;

import io.kiln.lab.Addresses;
import io.kiln.templates.EndpointBpf.EndpointConfigMap;
import io.kiln.templates.EndpointBpf.IpcacheMap;
import io.kiln.templates.EndpointDefines;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The values of one benchmark endpoint, with addresses as text: the endpoint template's constants
 * and, for its generic build ({@code configSource=map}), the {@code endpoint_config} entry.
 */
public record BenchEndpoint(int id, long identity, String ipv4, String ipv6, String mac, String nodeMac, int ifindex,
                            String gatewayIpv4) {

    /** The endpoint constants, by their descriptor names. */
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

    /** The {@code endpoint_config} value the generic build reads. */
    public byte[] configValue() {
        return EndpointConfigMap.Value.builder().identity(identity).ipv4(EndpointDefines.ipv4(address(ipv4)))
                .gatewayIpv4(EndpointDefines.ipv4(address(gatewayIpv4))).ifindex(ifindex)
                .ipv6(ipv6 == null ? new byte[16] : address(ipv6).getAddress()).mac(Addresses.mac(mac))
                .nodeMac(Addresses.mac(nodeMac)).endpointId(id).build().toBytes();
    }

    /** The {@code ipcache} key of one IPv4 host address (/32). */
    public static byte[] hostKey(String ipv4) {
        return IpcacheMap.Key.builder().prefixlen(32).addr(EndpointDefines.ipv4(address(ipv4))).build().toBytes();
    }

    static InetAddress address(String text) {
        try {
            return InetAddress.getByAddress(Addresses.ip(text)); // a literal: never a lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(text + ": " + e.getMessage(), e);
        }
    }
}
