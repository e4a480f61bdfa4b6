package io.kiln.bench;

import io.kiln.lab.Addresses;
import io.kiln.templates.EndpointBpf.IpcacheMap;
import io.kiln.templates.EndpointDefines;
import io.kiln.templates.EndpointValues;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** Map entries of a benchmark endpoint's values ({@link EndpointValues}), with addresses parsed from text. */
public final class BenchEndpoint {
    private BenchEndpoint() {
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
