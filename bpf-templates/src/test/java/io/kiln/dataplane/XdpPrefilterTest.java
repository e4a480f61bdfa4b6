package io.kiln.dataplane;

import static io.kiln.testing.TestRun.XDP_DROP;
import static io.kiln.testing.TestRun.XDP_PASS;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kiln.templates.XdpPrefilterBpf.DropReason;
import io.kiln.lab.Packets;
import io.kiln.testing.TemplateUnderTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The node-level deny-list at XDP. */
class XdpPrefilterTest {
    private static final String BAD = "198.19.66.0/24";

    private static long count(TemplateUnderTest t, DropReason r) {
        byte[] key = new io.kiln.templates.XdpPrefilterBpf.MetricsMap.Key(r.slot(EndpointMaps.DIR_INGRESS)).toBytes();
        return t.map("metrics").sumU64(key, EndpointMaps.METRICS_PACKETS);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void dropsOrAuditsListedSourcesAndPassesTheRest(boolean auditOnly) {
        try (TemplateUnderTest t = TemplateUnderTest.of(Fixture.PREFILTER).parameter("ipv6", true)
                .constant("AUDIT_ONLY", auditOnly).load()) {
            t.map("deny4").put(EndpointMaps.lpmKey(BAD), new byte[4]);
            t.map("deny6").put(EndpointMaps.lpmKey("2001:2:66::/48"), new byte[4]);
            int denied = auditOnly ? XDP_PASS : XDP_DROP;
            t.run("prefilter", Packets.ethernet("02:00:00:00:00:01", "02:00:00:00:00:02")
                    .ipv4("198.19.66.7", "198.18.0.1").udp(1, 2).build()).assertVerdict(denied);
            t.run("prefilter", Packets.ethernet("02:00:00:00:00:01", "02:00:00:00:00:02")
                    .ipv6("2001:2:66::9", "2001:2::1").udp(1, 2).build()).assertVerdict(denied);
            t.run("prefilter", Packets.ethernet("02:00:00:00:00:01", "02:00:00:00:00:02")
                    .ipv4("198.19.67.7", "198.18.0.1").udp(1, 2).build()).assertVerdict(XDP_PASS);
            t.run("prefilter", Packets.arpRequest("02:00:00:00:00:01", "198.19.66.7", "198.18.0.1")).assertVerdict(XDP_PASS);
            assertEquals(auditOnly ? 0 : 2, count(t, DropReason.PREFILTER_DENIED));
            assertEquals(auditOnly ? 2 : 0, count(t, DropReason.PREFILTER_AUDIT));
            assertEquals(2, count(t, DropReason.FORWARDED));
        }
    }
}
