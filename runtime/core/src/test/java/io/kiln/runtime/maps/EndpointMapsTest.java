package io.kiln.runtime.maps;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The layouts byte for byte (as bpf-templates' README gives them), and every decoder undoing its encoder. */
class EndpointMapsTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void bytesAreTheReadmesLayouts() throws Exception {
        assertEquals("b90b0000" + "0050" + "06" + "01", HEX.formatHex(EndpointMaps.policyKey(3001, 80, 6, 1)));
        assertEquals("02000000", HEX.formatHex(EndpointMaps.policyValue(EndpointMaps.DENY)));
        assertEquals("48000000", HEX.formatHex(EndpointMaps.metricsKey(EndpointMaps.DIR_EGRESS, DropReason.POLICY_DENIED)));
        assertEquals("18000000" + "c6120000", HEX.formatHex(EndpointMaps.lpmKey(InetAddress.getByName("198.18.0.0"), 24)));
        assertEquals("c612c801" + "0050" + "06" + "00",
                HEX.formatHex(EndpointMaps.serviceKey(InetAddress.getByName("198.18.200.1"), 80, 6)));
        assertEquals("02000000" + "0700" + "0000", HEX.formatHex(EndpointMaps.serviceValue(2, 7)));
        assertEquals("0700" + "0000" + "01000000", HEX.formatHex(EndpointMaps.backendKey(7, 1)));
        assertEquals("c612000c" + "1f90" + "0000",
                HEX.formatHex(EndpointMaps.backendValue(InetAddress.getByName("198.18.0.12"), 8080)));
        assertEquals("07000000" + "02000000000c" + "0c00",
                HEX.formatHex(EndpointMaps.endpointInfo(7, HEX.parseHex("02000000000c"), 12)));
    }

    @Test
    void decodersUndoEncoders() throws Exception {
        assertEquals(new EndpointMaps.PolicyKey(4000, 443, 6, 0),
                EndpointMaps.decodePolicyKey(EndpointMaps.policyKey(4000, 443, 6, 0)));
        assertEquals(EndpointMaps.ALLOW, EndpointMaps.decodePolicyValue(EndpointMaps.policyValue(EndpointMaps.ALLOW)));
        InetAddress v6 = InetAddress.getByName("2001:2::c");
        assertEquals(new EndpointMaps.LpmKey(v6, 128), EndpointMaps.decodeLpmKey(EndpointMaps.lpmKey(v6, 128)));
        assertEquals(16777300L, EndpointMaps.decodeIdentityValue(EndpointMaps.identityValue(16777300L)));
        InetAddress vip = InetAddress.getByName("198.18.200.1");
        assertEquals(new EndpointMaps.ServiceKey(vip, 53, 17), EndpointMaps.decodeServiceKey(EndpointMaps.serviceKey(vip, 53, 17)));
        assertEquals(new EndpointMaps.Service(3, 9), EndpointMaps.decodeServiceValue(EndpointMaps.serviceValue(3, 9)));
        assertEquals(new EndpointMaps.BackendKey(9, 2), EndpointMaps.decodeBackendKey(EndpointMaps.backendKey(9, 2)));
        assertEquals(new EndpointMaps.Backend(vip, 8080), EndpointMaps.decodeBackendValue(EndpointMaps.backendValue(vip, 8080)));
        assertEquals(new EndpointMaps.EndpointInfo(5, null, 3),
                EndpointMaps.decodeEndpointInfo(EndpointMaps.endpointInfo(5, null, 3)));
        assertEquals(v6, EndpointMaps.decodeEndpointKey(EndpointMaps.endpointKey(v6)));
    }

    @Test
    void wrongSizesAndFamiliesAreRefused() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> EndpointMaps.decodePolicyKey(new byte[7]));
        assertThrows(IllegalArgumentException.class, () -> EndpointMaps.decodeLpmKey(new byte[9]));
        InetAddress v6 = InetAddress.getByName("2001:2::c");
        assertThrows(IllegalArgumentException.class, () -> EndpointMaps.serviceKey(v6, 80, 6));
        assertThrows(IllegalArgumentException.class, () -> EndpointMaps.lpmKey(v6, 129));
    }

    @Test
    void reasonsBySlot() {
        assertEquals(DropReason.POLICY_DENY_RULE, DropReason.ofSlot(DropReason.MAX + 9));
        assertNull(DropReason.ofSlot(5));
        assertThrows(IllegalArgumentException.class, () -> DropReason.of(63));
    }
}
