package io.kiln.dataplane;

import io.kiln.templates.DropReason;
import io.kiln.templates.EndpointValues;

import static io.kiln.dataplane.EndpointMaps.METRICS_BYTES;
import static io.kiln.dataplane.EndpointMaps.METRICS_PACKETS;

import io.kiln.lab.Packets;
import io.kiln.testing.TemplateUnderTest;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** The endpoint every test-run test specializes for, the remote sides it talks to, and frame shortcuts. */
final class Fixture {
    static final Path ENDPOINT = Path.of("src/main/bpf/endpoint");
    static final Path PREFILTER = Path.of("src/main/bpf/xdp_prefilter");

    /** The endpoint under test (the README's "typical" value set). */
    static final EndpointValues EP = new EndpointValues(12, 3001, "198.18.0.12", "2001:2::c", "02:00:00:00:00:0c",
            "02:00:00:00:00:01", 7, "198.18.0.1");
    /** A remote host the ipcache knows as {@link #REMOTE_IDENTITY}. */
    static final String REMOTE = "198.18.0.20";
    static final long REMOTE_IDENTITY = 4000;
    /** A remote host nobody put in the ipcache: identity world. */
    static final String STRANGER = "198.19.7.7";
    static final String PEER_MAC = "02:00:00:00:00:fe";

    private Fixture() {
    }

    /** The endpoint template specialized for {@link #EP}; parameters are name, value pairs. */
    static TemplateUnderTest.Builder endpoint(Object... parameters) {
        Map<String, Object> p = new LinkedHashMap<>();
        for (int i = 0; i < parameters.length; i += 2) {
            p.put((String) parameters[i], parameters[i + 1]);
        }
        return TemplateUnderTest.of(ENDPOINT).parameters(p).constants(EP.constants());
    }

    /** Loads the variant; the generic build also gets {@link #EP} in endpoint_config, and REMOTE goes in the ipcache. */
    static TemplateUnderTest load(Object... parameters) {
        TemplateUnderTest t = endpoint(parameters).load();
        t.map("endpoint_config").put(EndpointMaps.configKey(), EndpointMaps.endpointConfig(EP));
        t.map("ipcache").put(EndpointMaps.lpmKey(REMOTE + "/32"), EndpointMaps.identityValue(REMOTE_IDENTITY));
        return t;
    }

    static void policy(TemplateUnderTest t, long identity, int dport, int proto, int dir, int action) {
        t.map("policy").put(EndpointMaps.policyKey(identity, dport, proto, dir), EndpointMaps.policyValue(action));
    }

    /** A frame the endpoint sends (from_endpoint's input). */
    static Packets.Builder fromEndpoint(String dst) {
        return Packets.ethernet(EP.mac(), EP.nodeMac()).ipv4(EP.ipv4(), dst);
    }

    /** A frame the endpoint receives (to_endpoint's input). */
    static Packets.Builder toEndpoint(String src) {
        return Packets.ethernet(EP.nodeMac(), EP.mac()).ipv4(src, EP.ipv4());
    }

    static long packets(TemplateUnderTest t, int dir, DropReason reason) {
        return t.map("metrics").sumU64(EndpointMaps.metricsKey(dir, reason), METRICS_PACKETS);
    }

    static long bytes(TemplateUnderTest t, int dir, DropReason reason) {
        return t.map("metrics").sumU64(EndpointMaps.metricsKey(dir, reason), METRICS_BYTES);
    }

    /** Packets counted under any reason in one direction: every packet must be counted exactly once. */
    static long allPackets(TemplateUnderTest t, int dir) {
        long sum = 0;
        for (DropReason r : DropReason.values()) {
            sum += packets(t, dir, r);
        }
        return sum;
    }
}
