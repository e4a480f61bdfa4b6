package io.kiln.agent.fqdn;

import io.kiln.bpf.BpfMap;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * The addresses the node's tracked connections use, either end: the keys of the node maps
 * {@code conntrack} ({@code struct ct_key4}: saddr at 0, daddr at 4, network order) and
 * {@code conntrack6} ({@code struct ct_key6}: saddr at 0, daddr at 16) whose entry has not expired
 * ({@code struct ct_entry}: {@code expires} at 0, a {@code bpf_ktime_get_ns()} deadline). A learned
 * address one of them holds is kept past its TTL (the connection's packets still need its ipcache
 * entry); an expired entry the flow pipeline has not deleted yet holds nothing.
 */
final class ConntrackAddresses {
    private ConntrackAddresses() {
    }

    static Set<InetAddress> read(Path nodeMapDir) {
        Set<InetAddress> out = new HashSet<>();
        scan(nodeMapDir.resolve("conntrack"), 4, 16, out);
        scan(nodeMapDir.resolve("conntrack6"), 16, 40, out);
        return out;
    }

    private static void scan(Path pin, int addrLen, int keyLen, Set<InetAddress> out) {
        if (!Files.exists(pin)) {
            return;
        }
        long now = System.nanoTime(); // CLOCK_MONOTONIC, as bpf_ktime_get_ns()
        try (BpfMap m = BpfMap.openPinned(pin)) {
            for (byte[] key : m.keys()) {
                if (key.length != keyLen) {
                    return; // not the layout this reads
                }
                byte[] v = m.lookup(key).orElse(null);
                if (v == null || v.length < 8
                        || java.nio.ByteBuffer.wrap(v).order(java.nio.ByteOrder.nativeOrder()).getLong(0) <= now) {
                    continue;
                }
                out.add(address(Arrays.copyOfRange(key, 0, addrLen)));
                out.add(address(Arrays.copyOfRange(key, addrLen, 2 * addrLen)));
            }
        } catch (RuntimeException gone) {
            // the map went with the last endpoint: nothing holds an address
        }
    }

    private static InetAddress address(byte[] raw) {
        try {
            return InetAddress.getByAddress(raw);
        } catch (UnknownHostException e) {
            throw new AssertionError(e); // 4 or 16 bytes
        }
    }
}
