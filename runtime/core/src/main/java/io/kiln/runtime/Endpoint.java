package io.kiln.runtime;

import io.kiln.Sha256;
import io.kiln.host.Netns;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * An endpoint as the runtime sees it: its id, the interface its programs attach to (the host side
 * of its veth), the network namespace that interface lives in, and its constants already encoded
 * as the bytes their {@code volatile const} globals hold (see {@code io.kiln.template.Constants}).
 * Declared constants that are absent keep the value compiled into the object.
 *
 * @param id            the endpoint's id: names its pins and its state file; 0 to 65535
 * @param interfaceName the interface its programs attach to
 * @param constants     constant name to encoded bytes; copied, sorted by name
 * @param namespace     where {@code interfaceName} lives
 */
public record Endpoint(int id, String interfaceName, Map<String, byte[]> constants, Netns namespace) {
    private static final Pattern IFNAME = Pattern.compile("[^/\\s:]{1,15}");
    public static final int MAX_ID = 0xffff;

    public Endpoint {
        if (id < 0 || id > MAX_ID) {
            throw new IllegalArgumentException("endpoint id " + id + ": must be 0.." + MAX_ID);
        }
        if (interfaceName == null || !IFNAME.matcher(interfaceName).matches()) {
            throw new IllegalArgumentException("endpoint " + id + ": interface name '" + interfaceName
                    + "': 1 to 15 characters, no '/', ':' or spaces");
        }
        Objects.requireNonNull(namespace, "namespace");
        SortedMap<String, byte[]> copy = new TreeMap<>();
        Objects.requireNonNull(constants, "constants").forEach((k, v) -> copy.put(k, v.clone()));
        constants = Collections.unmodifiableSortedMap(copy);
    }

    /** An endpoint whose interface is in the host namespace. */
    public static Endpoint of(int id, String interfaceName, Map<String, byte[]> constants) {
        return new Endpoint(id, interfaceName, constants, Netns.host());
    }

    /** The same endpoint with other constants (what a constant-only swap changes). */
    public Endpoint withConstants(Map<String, byte[]> newConstants) {
        return new Endpoint(id, interfaceName, newConstants, namespace);
    }

    /** A copy of the bytes of one constant, or null if the endpoint does not set it. */
    public byte[] constant(String name) {
        byte[] b = constants.get(name);
        return b == null ? null : b.clone();
    }

    /** SHA-256 over the sorted names and bytes: tells two sets of constants apart in the state file. */
    public String constantsDigest() {
        // 4-byte length prefixes, not Sha256.field's 8: state files written by earlier versions hold this digest
        Sha256 sha = new Sha256();
        for (Map.Entry<String, byte[]> e : new TreeMap<>(constants).entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            sha.raw(intBytes(name.length)).raw(name).raw(intBytes(e.getValue().length)).raw(e.getValue());
        }
        return sha.hex();
    }

    private static byte[] intBytes(int v) {
        return new byte[]{(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Endpoint other) || id != other.id || !interfaceName.equals(other.interfaceName)
                || !namespace.equals(other.namespace) || !constants.keySet().equals(other.constants.keySet())) {
            return false;
        }
        for (Map.Entry<String, byte[]> e : constants.entrySet()) {
            if (!java.util.Arrays.equals(e.getValue(), other.constants.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, interfaceName, namespace, constantsDigest());
    }

    @Override
    public String toString() {
        return "endpoint " + id + " (" + interfaceName + (namespace.isHost() ? "" : " in " + namespace) + ")";
    }

    /** Prefix of every message about this endpoint: {@code endpoint 12}. */
    String label() {
        return "endpoint " + id;
    }
}
