package io.kiln.bench;

import io.kiln.lab.Addresses;
import io.kiln.templates.EndpointBpf.EndpointConfigMap;
import io.kiln.templates.EndpointBpf.IpcacheMap;
import io.kiln.templates.EndpointDefines;
import io.kiln.templates.EndpointValues;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** Map entries of a benchmark endpoint's values ({@link EndpointValues}), with addresses parsed from text. */
public final class BenchEndpoint {
    private BenchEndpoint() {
    }

    /** The {@code endpoint_config} value the generic build reads. */
    public static byte[] configValue(EndpointValues e) {
        return EndpointConfigMap.Value.builder().identity(e.identity()).ipv4(EndpointDefines.ipv4(address(e.ipv4())))
                .gatewayIpv4(EndpointDefines.ipv4(address(e.gatewayIpv4()))).ifindex(e.ifindex())
                .ipv6(e.ipv6() == null ? new byte[16] : address(e.ipv6()).getAddress()).mac(Addresses.mac(e.mac()))
                .nodeMac(Addresses.mac(e.nodeMac())).endpointId(e.id()).build().toBytes();
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
