package test.bpf;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.Map;

/** Compiled with the generated FlowsBpf by BindingsGeneratorTest; every expected byte is worked out by hand. */
public final class FlowsCheck {
    private FlowsCheck() {
    }

    static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    static void same(byte[] expected, byte[] actual, String what) {
        if (!Arrays.equals(expected, actual)) {
            throw new AssertionError(what + ": expected " + Arrays.toString(expected) + " but was " + Arrays.toString(actual));
        }
    }

    static void same(Object expected, Object actual, String what) {
        if (!expected.equals(actual)) {
            throw new AssertionError(what + ": expected " + expected + " but was " + actual);
        }
    }

    static void refused(Runnable r, String what) {
        try {
            r.run();
        } catch (IllegalArgumentException e) {
            return;
        }
        throw new AssertionError(what + " was accepted");
    }

    public static Map<String, byte[]> run() throws Exception {
        // struct flow_key: __be32 saddr, daddr; __be16 sport, dport; __u8 proto; __u8 pad[3]
        FlowsBpf.FlowsMap.Key key = new FlowsBpf.FlowsMap.Key(0xC6120001L, 0xC6120002L, 80, 443, 6, new byte[3]);
        byte[] keyBytes = bytes(0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x00, 0x50, 0x01, 0xbb, 0x06, 0, 0, 0);
        same(keyBytes, key.toBytes(), "flow_key");
        same(key, FlowsBpf.FlowsMap.Key.fromBytes(keyBytes), "flow_key decoded");
        same(16, FlowsBpf.FlowsMap.KEY_SIZE, "KEY_SIZE");
        same(48, FlowsBpf.FlowsMap.VALUE_SIZE, "VALUE_SIZE");
        same(1024, FlowsBpf.FlowsMap.MAX_ENTRIES, "MAX_ENTRIES");
        same("hash", FlowsBpf.FlowsMap.TYPE, "TYPE");

        // struct flow_value, 48 bytes: packets@0, flags:3 delta:5 kind:24 in the u32 at 8, shift@12,
        // pair@14 {a@14, b@16}, padding, union u@20, seen@24, addrs@28 (network order), history@36
        FlowsBpf.FlowsMap.Value value = new FlowsBpf.FlowsMap.Value(0x0102030405060708L, 5, -3, 0xABCDEF, (short) -2,
                new FlowsBpf.FlowsMap.CounterPair(0x1234, new byte[] {7, 8}), new byte[] {1, 2, 3, 4}, true,
                new long[] {0xC6120001L, 0x0A000001L},
                new FlowsBpf.FlowsMap.CounterPair[] {new FlowsBpf.FlowsMap.CounterPair(1, new byte[] {2, 3}),
                        new FlowsBpf.FlowsMap.CounterPair(4, new byte[] {5, 6})});
        byte[] valueBytes = bytes(
                0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,   // packets
                0xed, 0xef, 0xcd, 0xab,                           // 5 | (-3 & 0x1f) << 3 | 0xabcdef << 8
                0xfe, 0xff,                                       // shift = -2
                0x34, 0x12, 7, 8, 0, 0,                           // pair, padding
                1, 2, 3, 4,                                       // u
                1, 0, 0, 0,                                       // seen, padding
                0xc6, 0x12, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x01,   // addrs
                1, 0, 2, 3, 4, 0, 5, 6,                           // history
                0, 0, 0, 0);                                      // tail padding
        same(valueBytes, value.toBytes(), "flow_value");
        same(value, FlowsBpf.FlowsMap.Value.fromBytes(valueBytes), "flow_value decoded");
        same(-3, FlowsBpf.FlowsMap.Value.fromBytes(valueBytes).delta(), "signed bitfield");

        refused(() -> new FlowsBpf.FlowsMap.Key(0, 0, 70000, 0, 0, new byte[3]), "sport 70000");
        refused(() -> new FlowsBpf.FlowsMap.Key(-1, 0, 0, 0, 0, new byte[3]), "saddr -1");
        refused(() -> new FlowsBpf.FlowsMap.Key(0, 0, 0, 0, 0, new byte[4]), "pad of 4 bytes");
        refused(() -> new FlowsBpf.FlowsMap.Value(0, 8, 0, 0, (short) 0, value.pair(), new byte[4], false,
                new long[2], value.history()), "flags 8 in 3 bits");
        refused(() -> new FlowsBpf.FlowsMap.Value(0, 0, 16, 0, (short) 0, value.pair(), new byte[4], false,
                new long[2], value.history()), "delta 16 in a signed 5-bit field");
        refused(() -> FlowsBpf.FlowsMap.Key.fromBytes(new byte[15]), "15 bytes for a 16-byte key");

        // per-CPU array: __u32 key, __s64 value
        same(bytes(5, 0, 0, 0), new FlowsBpf.CountersMap.Key(5).toBytes(), "counters key");
        same(-1L, FlowsBpf.CountersMap.Value.fromBytes(bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)).value(),
                "counters value");

        same("count_flows", FlowsBpf.Programs.COUNT_FLOWS, "program name");
        same("flows", FlowsBpf.Maps.FLOWS, "map name");
        same("wide", FlowsBpf.Build.WIDE, "build parameter name");

        // constants: the compiled values are the C initializers
        FlowsBpf.Constants compiled = FlowsBpf.Constants.COMPILED;
        same(true, compiled.enabled(), "ENABLED");
        same(8080, compiled.port(), "PORT");
        same(0xfffffffeL, compiled.limit(), "LIMIT");
        same(0x1122334455667788L, compiled.cookie(), "COOKIE");
        same(3, compiled.level(), "LEVEL");
        same(InetAddress.getByName("198.18.0.12"), compiled.selfV4(), "SELF_V4");
        same(0x02000000000cL, compiled.selfMac(), "SELF_MAC");

        refused(() -> FlowsBpf.Constants.builder().port(70000).build(), "PORT 70000");
        refused(() -> FlowsBpf.Constants.builder().level(256).build(), "LEVEL 256");
        refused(() -> FlowsBpf.Constants.builder().limit(1L << 32).build(), "LIMIT 2^32");
        refused(() -> FlowsBpf.Constants.builder().selfV4("example.com"), "a host name");
        refused(() -> FlowsBpf.Constants.builder().selfMac("02:00:00:00:00"), "a short MAC");

        FlowsBpf.Constants set = FlowsBpf.Constants.builder().port(80).selfV4("198.18.0.1").selfV6("2001:db8::1")
                .selfMac("02:00:00:00:00:01").cookie(-1L).enabled(false).build();
        Map<String, byte[]> encoded = set.encode();
        same(bytes(0x50, 0), encoded.get("PORT"), "PORT bytes");
        same(bytes(0xc6, 0x12, 0, 1), encoded.get("SELF_V4"), "SELF_V4 bytes");
        same(bytes(2, 0, 0, 0, 0, 1), encoded.get("SELF_MAC"), "SELF_MAC bytes");
        same(bytes(0xfe, 0xff, 0xff, 0xff), encoded.get("LIMIT"), "LIMIT bytes");
        same(bytes(0), encoded.get("ENABLED"), "ENABLED bytes");
        same(set, FlowsBpf.Constants.decode(encoded), "constants decoded");
        same("[ENABLED, PORT, LIMIT, COOKIE, LEVEL, SELF_V4, SELF_V6, SELF_MAC]", encoded.keySet().toString(), "order");
        return encoded;
    }
}
