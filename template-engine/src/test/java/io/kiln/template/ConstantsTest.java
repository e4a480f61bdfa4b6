package io.kiln.template;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.net.InetAddress;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConstantsTest {
    private final TemplateDescriptor endpoint = Templates.load(TestTemplates.resource("endpoint"));

    /** Test inputs are all literals, so getByName parses them and never asks DNS. */
    private static InetAddress literal(String text) {
        try {
            return InetAddress.getByName(text);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static String hex(ConstantType type, Object value) {
        return HexFormat.of().formatHex(Constants.encode("endpoint", new ConstantDecl("C", type, ""), value));
    }

    private static String error(ConstantType type, Object value) {
        return assertThrows(ParameterException.class,
                () -> Constants.encode("endpoint", new ConstantDecl("C", type, ""), value)).getMessage();
    }

    @Test
    void unsignedIntegersAreLittleEndian() {
        assertEquals("ff", hex(ConstantType.U8, "255"));
        assertEquals("3412", hex(ConstantType.U16, "0x1234"));
        assertEquals("3412", hex(ConstantType.U16, 0x1234));
        assertEquals("b90b0000", hex(ConstantType.U32, "3001"));
        assertEquals("ffffffff", hex(ConstantType.U32, 4294967295L));
        assertEquals("0100000000000000", hex(ConstantType.U64, 1L));
        assertEquals("ffffffffffffffff", hex(ConstantType.U64, "18446744073709551615"));
        assertEquals("ffffffffffffffff", hex(ConstantType.U64, new BigInteger("18446744073709551615")));
        assertEquals("efcdab8967452301", hex(ConstantType.U64, "0x0123456789ABCDEF"));
        assertEquals("00", hex(ConstantType.U8, 0));
    }

    @Test
    void integersOutOfRangeOrMalformed() {
        assertEquals("template endpoint: constant C: expected an integer from 0 to 255, got '256'", error(ConstantType.U8, "256"));
        assertEquals("template endpoint: constant C: expected an integer from 0 to 65535, got 70000", error(ConstantType.U16, 70000));
        assertEquals("template endpoint: constant C: expected an integer from 0 to 4294967295, got -1", error(ConstantType.U32, -1));
        assertEquals("template endpoint: constant C: expected an integer from 0 to 18446744073709551615, got '18446744073709551616'",
                error(ConstantType.U64, "18446744073709551616"));
        assertEquals("template endpoint: constant C: expected an integer from 0 to 65535, got '12ab'", error(ConstantType.U16, "12ab"));
        assertEquals("template endpoint: constant C: expected an integer from 0 to 65535, got '010'", error(ConstantType.U16, "010"));
        assertEquals("template endpoint: constant C: expected an integer from 0 to 65535, got 1.0", error(ConstantType.U16, 1.0));
        assertEquals("template endpoint: constant C: expected an integer from 0 to 65535, got true", error(ConstantType.U16, true));
        assertEquals("template endpoint: constant C: expected an integer from 0 to 255, got nothing", error(ConstantType.U8, null));
    }

    @Test
    void booleans() {
        assertEquals("01", hex(ConstantType.BOOL, true));
        assertEquals("00", hex(ConstantType.BOOL, "false"));
        assertEquals("template endpoint: constant C: expected true or false, got '1'", error(ConstantType.BOOL, "1"));
    }

    @Test
    void ipv4InNetworkOrder() {
        assertEquals("c6120001", hex(ConstantType.IPV4, "198.18.0.1"));
        assertEquals("00000000", hex(ConstantType.IPV4, "0.0.0.0"));
        assertEquals("c612000c", hex(ConstantType.IPV4, literal("198.18.0.12")));
        for (String bad : List.of("300.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.", "a.b.c.d", "", " 1.2.3.4",
                "localhost", "::1")) {
            assertEquals("template endpoint: constant C: expected an IPv4 address like 198.18.0.1, got '" + bad + "'",
                    error(ConstantType.IPV4, bad));
        }
    }

    @Test
    void ipv6FromEveryTextForm() {
        assertEquals("20010db8000000000000000000000001", hex(ConstantType.IPV6, "2001:db8::1"));
        assertEquals("20010db8000000000000000000000001", hex(ConstantType.IPV6, "2001:0DB8:0:0:0:0:0:1"));
        assertEquals("00000000000000000000000000000000", hex(ConstantType.IPV6, "::"));
        assertEquals("00000000000000000000000000000001", hex(ConstantType.IPV6, "::1"));
        assertEquals("fe800000000000000000000000000000", hex(ConstantType.IPV6, "fe80::"));
        assertEquals("00000000000000000000ffffc6120001", hex(ConstantType.IPV6, "::ffff:198.18.0.1"));
        assertEquals("00010002000300040005000600070000", hex(ConstantType.IPV6, "1:2:3:4:5:6:7::"));
        assertEquals("000100020003000400050006c6120001", hex(ConstantType.IPV6, "1:2:3:4:5:6:198.18.0.1"));
        assertEquals("20010db8000000000000000000000001", hex(ConstantType.IPV6, literal("2001:db8::1")));
        for (String bad : List.of("1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1::2::3", ":1::", "1:::2", "12345::",
                "fe80::1%eth0", "g::1", "1.2.3.4", "::1.2.3", "1.2.3.4::", "1:2:3:4:5:6:7:8::", "example.com", "")) {
            assertEquals("template endpoint: constant C: expected an IPv6 address like 2001:db8::1, got '" + bad + "'",
                    error(ConstantType.IPV6, bad));
        }
    }

    @Test
    void ipv6AgreesWithTheJdkOnLiterals() {
        for (String literal : List.of("::", "::1", "1::", "a:b:c:d:e:f:0:1", "::ffff:1.2.3.4", "1:0:0:2::3", "0:0::0:0",
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "1::2:3:4:5:6:7")) {
            byte[] jdk = literal(literal).getAddress();
            byte[] ours = Constants.encode("t", new ConstantDecl("C", ConstantType.IPV6, ""), literal);
            byte[] expected = jdk.length == 16 ? jdk : mapped(jdk);
            assertArrayEquals(expected, ours, literal);
        }
    }

    /** The JDK turns ::ffff:a.b.c.d into an Inet4Address; the constant holds the 16-byte mapped form. */
    private static byte[] mapped(byte[] v4) {
        byte[] out = new byte[16];
        out[10] = (byte) 0xff;
        out[11] = (byte) 0xff;
        System.arraycopy(v4, 0, out, 12, 4);
        return out;
    }

    @Test
    void macWithColonsOrDashes() {
        assertEquals("02000000000c", hex(ConstantType.MAC, "02:00:00:00:00:0c"));
        assertEquals("aabbccddeeff", hex(ConstantType.MAC, "AA-BB-CC-DD-EE-FF"));
        for (String bad : List.of("02:00:00:00:00", "02:00:00:00:00:0c:01", "02-00:00:00:00:0c", "2:0:0:0:0:c", "0200.0000.000c",
                "gg:00:00:00:00:00")) {
            assertEquals("template endpoint: constant C: expected a MAC address like 02:00:00:00:00:0c, got '" + bad + "'",
                    error(ConstantType.MAC, bad));
        }
    }

    @Test
    void encodeAllKeepsDeclarationOrderAndOnlyGivenOnes() {
        Map<String, Object> given = new LinkedHashMap<>();
        given.put("ENDPOINT_MAC", "02:00:00:00:00:0c");
        given.put("ENDPOINT_ID", 12);
        given.put("ENDPOINT_IPV4", "198.18.0.12");
        Map<String, byte[]> out = Constants.encodeAll(endpoint, given);
        assertEquals(List.of("ENDPOINT_ID", "ENDPOINT_IPV4", "ENDPOINT_MAC"), List.copyOf(out.keySet()));
        assertArrayEquals(new byte[] {12, 0}, out.get("ENDPOINT_ID"));

        ParameterException e = assertThrows(ParameterException.class,
                () -> Constants.encodeAll(endpoint, Map.of("ENDPOINT_IP", "198.18.0.1")));
        assertEquals("template endpoint: unknown constant 'ENDPOINT_IP'; declared: ENDPOINT_ID, IDENTITY, ENDPOINT_IPV4,"
                + " ENDPOINT_IPV6, ENDPOINT_MAC, DEBUG", e.getMessage());
        assertEquals("ENDPOINT_IP", e.parameter());

        e = assertThrows(ParameterException.class, () -> Constants.encodeAll(endpoint, Map.of("ENDPOINT_IPV4", "300.1.1.1")));
        assertEquals("template endpoint: constant ENDPOINT_IPV4: expected an IPv4 address like 198.18.0.1, got '300.1.1.1'",
                e.getMessage());
    }

    @Test
    void everyTypeEncodesToItsDeclaredSize() {
        Map<ConstantType, Object> samples = Map.of(ConstantType.U8, 1, ConstantType.U16, 1, ConstantType.U32, 1,
                ConstantType.U64, 1, ConstantType.BOOL, true, ConstantType.IPV4, "198.18.0.1",
                ConstantType.IPV6, "2001:db8::1", ConstantType.MAC, "02:00:00:00:00:01");
        for (ConstantType type : ConstantType.values()) {
            assertEquals(type.size(), Constants.encode("t", new ConstantDecl("C", type, ""), samples.get(type)).length,
                    type.toString());
        }
    }
    @Test
    void aMillionDigitsAreRefusedFastAndEchoedShort() {
        String huge = "1".repeat(1_000_000);
        long start = System.nanoTime();
        String m = assertThrows(ParameterException.class,
                () -> Constants.encode("endpoint", new ConstantDecl("C", ConstantType.U64, ""), huge)).getMessage();
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 500, "refused in " + millis + " ms");
        assertEquals("template endpoint: constant C: expected an integer from 0 to 18446744073709551615, got '"
                + "1".repeat(40) + "... (1000000 chars)'", m);
        // the same through a parameter's integer check, and a long value of any other kind
        String p = assertThrows(ParameterException.class, () -> Constants.encode("endpoint",
                new ConstantDecl("M", ConstantType.MAC, ""), "x".repeat(120_000))).getMessage();
        assertTrue(p.length() < 200, p);
        assertEquals(BigInteger.ONE.shiftLeft(248).subtract(BigInteger.ONE),
                io.kiln.template.internal.IntegerText.parse("0x" + "f".repeat(62)), "64 characters still parse");
        assertEquals(null, io.kiln.template.internal.IntegerText.parse("0x" + "f".repeat(63)), "65 do not");
    }
}
