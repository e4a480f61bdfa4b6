package io.kiln.runtime.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** SHA-256 digests the state file records, so a later process can tell what it adopted. */
public final class Digests {
    private Digests() {
    }

    public static String of(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }

    /** Over each name and value, length-prefixed so that no two different maps share a digest. */
    public static String constants(Map<String, byte[]> constants) {
        MessageDigest md = sha256();
        SortedMap<String, byte[]> sorted = new TreeMap<>(constants);
        for (Map.Entry<String, byte[]> e : sorted.entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            md.update(intBytes(name.length));
            md.update(name);
            md.update(intBytes(e.getValue().length));
            md.update(e.getValue());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static byte[] intBytes(int v) {
        return new byte[]{(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
