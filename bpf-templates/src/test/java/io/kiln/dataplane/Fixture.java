package io.kiln.dataplane;

import io.kiln.templates.EndpointBpf.DropReason;
import io.kiln.templates.EndpointValues;

import static io.kiln.dataplane.EndpointMaps.METRICS_BYTES;
import static io.kiln.dataplane.EndpointMaps.METRICS_PACKETS;

import io.kiln.bpf.BpfMap;
import io.kiln.lab.NetworkNamespace;
import io.kiln.lab.Packets;
import io.kiln.lab.VethPair;
import io.kiln.testing.TestMap;
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
    /** A second endpoint sharing EP's tier 0 in {@link #tier0}; it allows everything. */
    static final EndpointValues OTHER = new EndpointValues(14, 3003, "198.18.0.14", "2001:2::e", "02:00:00:00:00:0e",
            "02:00:00:00:00:01", 8, "198.18.0.1");
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

    /**
     * Loads the variant and puts REMOTE in the ipcache. Tier 0 ({@code configSource=node}) also gets
     * {@link #EP} registered as {@link #tier0} does it: a test then reads and writes EP's policy and
     * metrics through {@code t.map("policy")} and {@code t.map("metrics")} in both tiers.
     */
    static TemplateUnderTest load(Object... parameters) {
        TemplateUnderTest t = endpoint(parameters).load();
        try {
            if (isTier0(parameters)) {
                tier0(t, true);
            }
            t.map("ipcache").put(EndpointMaps.lpmKey(REMOTE + "/32"), EndpointMaps.identityValue(REMOTE_IDENTITY));
            return t;
        } catch (RuntimeException | Error e) {
            t.close();
            throw e;
        }
    }

    static boolean isTier0(Object... parameters) {
        for (int i = 0; i < parameters.length; i += 2) {
            if ("configSource".equals(parameters[i]) && "node".equals(parameters[i + 1])) {
                return true;
            }
        }
        return false;
    }

    /**
     * Makes {@code t} (a tier-0 variant) serve two endpoints, as one loaded tier 0 serves a node: a
     * namespace with a veth pair the test run puts packets on. EP, on the first end, gets {@code t}'s
     * own policy and metrics maps as its inner maps (if {@code registerEp}); a second endpoint
     * ({@link #OTHER}, on the other end) gets maps of its own and a policy that allows everything, so
     * a tier 0 that mixed its endpoints up would let through what EP's policy denies. Later runs see
     * the packet on EP's interface. Returns EP's values with the real ifindex.
     */
    static EndpointValues tier0(TemplateUnderTest t, boolean registerEp) {
        NetworkNamespace ns = t.closeWith(NetworkNamespace.create("t0"));
        VethPair.create(ns, "kt0-ep", ns, "kt0-other");
        int epIfindex = ns.ifindex("kt0-ep");
        int otherIfindex = ns.ifindex("kt0-other");
        EndpointValues ep = withIfindex(EP, epIfindex);
        if (registerEp) {
            register(t, ep, t.map("policy").bpf(), t.map("metrics").bpf());
        }
        BpfMap otherPolicy = t.closeWith(BpfMap.create("policy", t.map("policy").bpf().definition()));
        BpfMap otherMetrics = t.closeWith(BpfMap.create("metrics", t.map("metrics").bpf().definition()));
        for (int dir : new int[] {EndpointMaps.DIR_INGRESS, EndpointMaps.DIR_EGRESS}) {
            TestMap.of(otherPolicy).put(EndpointMaps.policyKey(EndpointMaps.IDENTITY_ANY, 0, 0, dir),
                    EndpointMaps.policyValue(EndpointMaps.ALLOW));
        }
        register(t, withIfindex(OTHER, otherIfindex), otherPolicy, otherMetrics);
        t.runOnInterface(ns.netns(), epIfindex);
        return ep;
    }

    /** Registers an endpoint in a loaded tier 0: inner maps first, then the config entry (what io.kiln.runtime.Tier0 does). */
    static void register(TemplateUnderTest t, EndpointValues e, BpfMap policy, BpfMap metrics) {
        t.map("policy_maps").bpf().updateInnerMap(EndpointMaps.endpointIdKey(e.id()), policy);
        t.map("metrics_maps").bpf().updateInnerMap(EndpointMaps.endpointIdKey(e.id()), metrics);
        t.map("endpoint_configs").put(EndpointMaps.configKey(e.ifindex()), EndpointMaps.endpointConfig(e));
    }

    static EndpointValues withIfindex(EndpointValues e, int ifindex) {
        return new EndpointValues(e.id(), e.identity(), e.ipv4(), e.ipv6(), e.mac(), e.nodeMac(), ifindex, e.gatewayIpv4());
    }

    static void policy(TemplateUnderTest t, long identity, int dport, int proto, int dir, int action) {
        policy(t.map("policy"), identity, dport, proto, dir, action);
    }

    static void policy(TestMap policy, long identity, int dport, int proto, int dir, int action) {
        policy.put(EndpointMaps.policyKey(identity, dport, proto, dir), EndpointMaps.policyValue(action));
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
