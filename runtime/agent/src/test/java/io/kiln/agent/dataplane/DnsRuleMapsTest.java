package io.kiln.agent.dataplane;

import io.kiln.agent.dataplane.internal.DnsRuleMaps;
import io.kiln.agent.policy.DnsQueryRules;
import io.kiln.agent.spec.FqdnSelector;
import io.kiln.templates.DnsRules;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The entries of dns_rules an endpoint's rules give (the map itself is exercised by the kernel tests). */
class DnsRuleMapsTest {
    @Test
    void namesAreLowerCaseWireFormatAfterTheEndpointAndKind() {
        byte[] k = DnsRules.key(0x1234, DnsRules.SUFFIX, "Example.ORG.");
        assertEquals(DnsRules.KEY_SIZE, k.length);
        assertEquals(0x1234, DnsRules.endpointId(k));
        assertEquals(DnsRules.SUFFIX, k[2]);
        byte[] wire = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'o', 'r', 'g', 0};
        assertArrayEquals(wire, Arrays.copyOfRange(k, 8, 8 + wire.length));
        for (int i = 3; i < 8; i++) {
            assertEquals(0, k[i], "padding");
        }
        for (int i = 8 + wire.length; i < k.length; i++) {
            assertEquals(0, k[i], "zeros after the name");
        }
        assertThrows(IllegalArgumentException.class, () -> DnsRules.wire("a..b"));
        assertThrows(IllegalArgumentException.class, () -> DnsRules.wire("x".repeat(64)));
        assertThrows(IllegalArgumentException.class, () -> DnsRules.wire(("x".repeat(63) + ".").repeat(4) + "x"));
    }

    @Test
    void aMarkerWithEveryNameAndSuffixOrNothingAtAll() {
        DnsQueryRules r = DnsQueryRules.of(List.of(FqdnSelector.name("api.example.test"),
                FqdnSelector.pattern("*.example.org")));
        Map<ByteBuffer, byte[]> e = DnsRuleMaps.entries(12, r);
        assertEquals(3, e.size());
        assertTrue(e.containsKey(ByteBuffer.wrap(DnsRules.markerKey(12))));
        assertArrayEquals(DnsRules.value(0), e.get(ByteBuffer.wrap(DnsRules.markerKey(12))));
        assertTrue(e.containsKey(ByteBuffer.wrap(DnsRules.key(12, DnsRules.NAME, "api.example.test"))));
        assertTrue(e.containsKey(ByteBuffer.wrap(DnsRules.key(12, DnsRules.SUFFIX, "example.org"))));
        assertArrayEquals(DnsRules.value(DnsRules.ANY_NAME), DnsRuleMaps.entries(12,
                DnsQueryRules.of(List.of(FqdnSelector.pattern("*")))).get(ByteBuffer.wrap(DnsRules.markerKey(12))));
        assertTrue(DnsRuleMaps.entries(12, DnsQueryRules.NONE).isEmpty());
    }
}
