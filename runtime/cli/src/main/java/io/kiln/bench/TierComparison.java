package io.kiln.bench;

import io.kiln.bpf.BpfMap;
import io.kiln.bpf.BpfProgram;
import io.kiln.bpf.TestRunOptions;
import io.kiln.build.BuiltVariant;
import io.kiln.build.VariantBuilder;
import io.kiln.host.Netns;
import io.kiln.lab.NetworkNamespace;
import io.kiln.lab.VethPair;
import io.kiln.runtime.Endpoint;
import io.kiln.runtime.EndpointLoader;
import io.kiln.runtime.SpecializedEndpoint;
import io.kiln.runtime.TemplateObject;
import io.kiln.runtime.Tier0;
import io.kiln.template.Constants;
import io.kiln.template.Parameters;
import io.kiln.template.TemplateDescriptor;
import io.kiln.templates.EndpointBpf.IpcacheMap;
import io.kiln.templates.EndpointBpf.PolicyMap;
import io.kiln.templates.EndpointDefines;
import io.kiln.templates.EndpointValues;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Tier 0 against tier 1 of the endpoint template on the same packets, the way a node runs them:
 * one tier 0 ({@code configSource=node}) loaded through {@link Tier0} with {@link #ENDPOINTS}
 * endpoints registered (each with its own interface, policy and metrics maps), and the benchmark
 * endpoint's own tier-1 program specialized through the runtime onto the very same maps (its
 * pinned policy and metrics, the node's conntrack and ipcache). Both run by
 * {@code BPF_PROG_TEST_RUN} with the packet on the endpoint's host-side interface
 * ({@code skb->ifindex}), inside a namespace made for the run; pins go under a root of their own.
 * Everything made is removed at {@link #close()}.
 */
public final class TierComparison implements AutoCloseable {
    /** Endpoints registered in tier 0 (one veth pair each, both ends in the benchmark namespace). */
    public static final int ENDPOINTS = 8;
    /** sizeof(struct __sk_buff) and the offset of ifindex in it. */
    private static final int SKB_CONTEXT = 192;
    private static final int SKB_IFINDEX = 40;

    /** The benchmark endpoint (the first registered); the others get ids 13, 14, ... */
    public static final EndpointValues EP = new EndpointValues(12, 3001, "198.18.0.12", "2001:2::c",
            "02:00:00:00:00:0c", "02:00:00:00:00:01", 0, "198.18.0.1");

    private final NetworkNamespace ns;
    private final Path pinRoot;
    private final Path stateDir;
    private Tier0 tier0;
    private SpecializedEndpoint tier1;
    private int ifindex;

    /** Figures of one program in both tiers: the kernel's mean ns per run (medians of rounds), verifier counts. */
    public record Figures(long tier0Ns, long tier1Ns, int tier0VerifiedInsns, int tier1VerifiedInsns,
                          int tier0XlatedInsns, int tier1XlatedInsns) {
        /** tier 1 / tier 0: below 1, specialization is faster. */
        public double specializedOverGeneric() {
            return (double) tier1Ns / tier0Ns;
        }
    }

    private TierComparison() {
        this.ns = NetworkNamespace.create("kbench");
        this.pinRoot = Path.of("/sys/fs/bpf", String.format("kiln-bench-%06x", new SecureRandom().nextInt(1 << 24)));
        try {
            this.stateDir = Files.createTempDirectory("kiln-bench-state");
        } catch (IOException e) {
            ns.close();
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Builds tier 0 and tier 1 of one variant ({@code parameters} without configSource), loads tier
     * 0 once, registers the endpoints, specializes the benchmark endpoint, and lets {@code setup}
     * fill the endpoint's policy map (shared by both tiers) before anything runs.
     */
    public static TierComparison load(VariantBuilder builder, TemplateDescriptor t, Map<String, ?> parameters,
                                      String remote, long remoteIdentity, Consumer<BpfMap> setup) {
        TierComparison c = new TierComparison();
        try {
            c.start(builder, t, parameters, remote, remoteIdentity, setup);
            return c;
        } catch (RuntimeException | Error e) {
            c.close();
            throw e;
        }
    }

    private void start(VariantBuilder builder, TemplateDescriptor t, Map<String, ?> parameters, String remote,
                       long remoteIdentity, Consumer<BpfMap> setup) {
        EndpointLoader loader = EndpointLoader.builder().pinRoot(pinRoot).stateDir(stateDir).build();
        Map<String, Object> p0 = new HashMap<>(parameters);
        p0.put("configSource", "node");
        Map<String, Object> p1 = new HashMap<>(parameters);
        p1.put("configSource", "constants");
        BuiltVariant v0 = builder.build(t, Parameters.resolve(t, p0));
        BuiltVariant v1 = builder.build(t, Parameters.resolve(t, p1));
        tier0 = Tier0.load(loader, TemplateObject.of(t, v0.result().object()));
        Netns netns = ns.netns();
        Endpoint ep = null;
        for (int i = 0; i < ENDPOINTS; i++) {
            String host = "kb" + i;
            VethPair.create(ns, host, ns, "kbp" + i);
            int index = ns.ifindex(host);
            EndpointValues v = i == 0 ? withIfindex(EP, index) : new EndpointValues(EP.id() + i, EP.identity() + i,
                    "198.18.0." + (12 + i), "2001:2::" + Integer.toHexString(12 + i),
                    String.format("02:00:00:00:00:%02x", 12 + i), EP.nodeMac(), index, EP.gatewayIpv4());
            Endpoint e = new Endpoint(v.id(), host, Constants.encodeAll(t, v.constants()), netns);
            tier0.register(e);
            if (i == 0) {
                ep = e;
                ifindex = index;
            }
        }
        tier1 = loader.specializer().specialize(TemplateObject.of(t, v1.result().object()), ep);
        try (BpfMap ipcache = BpfMap.openPinned(loader.pins().nodeMap("ipcache"));
             BpfMap policy = BpfMap.openPinned(loader.pins().endpointMap(EP.id(), "policy"))) {
            ipcache.update(BenchEndpoint.hostKey(remote), new IpcacheMap.Value(remoteIdentity).toBytes());
            setup.accept(policy);
        }
    }

    private static EndpointValues withIfindex(EndpointValues e, int ifindex) {
        return new EndpointValues(e.id(), e.identity(), e.ipv4(), e.ipv6(), e.mac(), e.nodeMac(), ifindex, e.gatewayIpv4());
    }

    /** An allow entry of the shared policy map. */
    public static void allow(BpfMap policy, long identity, int port, int proto, int dir) {
        policy.update(PolicyMap.Key.builder().identity(identity).dport(port).proto(proto).dir(dir).build().toBytes(),
                new PolicyMap.Value(EndpointDefines.POLICY_ALLOW).toBytes());
    }

    public BpfProgram tier0(String program) {
        return tier0.program(program);
    }

    public BpfProgram tier1(String program) {
        return tier1.program(program);
    }

    /** One run of {@code packet} through {@code p} on the endpoint's interface; its verdict. */
    public int verdict(BpfProgram p, byte[] packet) {
        return ns.netns().call(() -> p.testRun(options(packet, 1)).retval());
    }

    /** Runs once in each tier and checks the verdict, so that the benchmark never times a path it did not mean. */
    public void expect(String program, byte[] packet, int verdict, String what) {
        for (BpfProgram p : List.of(tier0(program), tier1(program))) {
            int got = verdict(p, packet);
            if (got != verdict) {
                throw new IllegalStateException("benchmark setup: " + what + ": " + p + " returned " + got
                        + ", expected " + verdict);
            }
        }
    }

    /**
     * Both tiers' {@code program} on {@code packet}: medians of {@code rounds} kernel means of
     * {@code repeat} runs each, the tiers measured in turn (which goes first alternates), after one
     * unmeasured warm-up of each.
     */
    public Figures measure(String program, byte[] packet, int repeat, int rounds) {
        BpfProgram a = tier0(program);
        BpfProgram b = tier1(program);
        meanNanos(a, packet, Math.min(repeat, 100_000));
        meanNanos(b, packet, Math.min(repeat, 100_000));
        double[] t0 = new double[rounds];
        double[] t1 = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            if (r % 2 == 0) {
                t0[r] = meanNanos(a, packet, repeat);
                t1[r] = meanNanos(b, packet, repeat);
            } else {
                t1[r] = meanNanos(b, packet, repeat);
                t0[r] = meanNanos(a, packet, repeat);
            }
        }
        return new Figures(Math.round(median(t0)), Math.round(median(t1)), a.verifiedInstructions(),
                b.verifiedInstructions(), a.xlatedInstructions(), b.xlatedInstructions());
    }

    private long meanNanos(BpfProgram p, byte[] packet, int repeat) {
        return ns.netns().call(() -> p.testRun(options(packet, repeat)).durationNanos());
    }

    private TestRunOptions options(byte[] packet, int repeat) {
        byte[] ctx = new byte[SKB_CONTEXT];
        ByteBuffer.wrap(ctx).order(ByteOrder.LITTLE_ENDIAN).putInt(SKB_IFINDEX, ifindex);
        return TestRunOptions.builder().data(packet).context(ctx).repeat(repeat).build();
    }

    private static double median(double[] values) {
        double[] s = values.clone();
        java.util.Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        try {
            if (tier1 != null) {
                tier1.close();
            }
            if (tier0 != null) {
                tier0.close();
            }
        } catch (RuntimeException e) {
            failure = e;
        }
        try {
            ns.close();
        } catch (RuntimeException e) {
            failure = failure == null ? e : failure;
        }
        for (Path dir : new Path[] {pinRoot, stateDir}) {
            try (Stream<Path> walk = Files.exists(dir) ? Files.walk(dir) : Stream.empty()) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException e) {
                failure = failure == null ? new UncheckedIOException(e) : failure;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
