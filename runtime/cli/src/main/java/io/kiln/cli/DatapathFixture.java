package io.kiln.cli;

import io.kiln.bench.BenchEndpoint;
import io.kiln.templates.EndpointValues;
import io.kiln.bpf.BpfObject;
import io.kiln.bpf.BpfProgram;
import io.kiln.bpf.TestRunOptions;
import io.kiln.build.BuiltVariant;
import io.kiln.build.VariantBuilder;
import io.kiln.template.Constants;
import io.kiln.template.Parameters;
import io.kiln.template.TemplateDescriptor;
import io.kiln.templates.EndpointBpf.IpcacheMap;
import io.kiln.templates.EndpointBpf.PolicyMap;
import io.kiln.templates.EndpointDefines;
import io.kiln.lab.Packets;

import java.util.Map;

/** One endpoint-template variant loaded for the benchmarks, specialized for a fixed benchmark endpoint. */
final class DatapathFixture implements AutoCloseable {
    static final EndpointValues EP = new EndpointValues(12, 3001, "198.18.0.12", "2001:2::c", "02:00:00:00:00:0c",
            "02:00:00:00:00:01", 7, "198.18.0.1");
    static final String REMOTE = "198.18.0.20";
    static final long REMOTE_IDENTITY = 4000;

    final BuiltVariant variant;
    final BpfObject object;

    private DatapathFixture(BuiltVariant variant, BpfObject object) {
        this.variant = variant;
        this.object = object;
    }

    /** Builds, specializes and loads one variant (tier 1: configSource=constants). */
    static DatapathFixture load(VariantBuilder builder, TemplateDescriptor t, Map<String, ?> parameters, String name) {
        BuiltVariant v = builder.build(t, Parameters.resolve(t, parameters));
        BpfObject o = BpfObject.open(v.result().object().bytes(), name);
        try {
            Constants.encodeAll(t, EP.constants()).forEach(o::setConstant);
            o.load();
            o.map("ipcache").update(BenchEndpoint.hostKey(REMOTE), new IpcacheMap.Value(REMOTE_IDENTITY).toBytes());
            return new DatapathFixture(v, o);
        } catch (RuntimeException e) {
            o.close();
            throw e;
        }
    }

    void allow(long identity, int port, int proto, int dir) {
        object.map("policy").update(PolicyMap.Key.builder().identity(identity).dport(port).proto(proto).dir(dir).build()
                .toBytes(), new PolicyMap.Value(EndpointDefines.POLICY_ALLOW).toBytes());
    }

    BpfProgram program(String name) {
        return object.program(name);
    }

    /** Runs once and checks the verdict, so a benchmark never times a path it did not mean. */
    static void expect(BpfProgram p, byte[] packet, int verdict, String what) {
        int got = p.testRun(TestRunOptions.of(packet)).retval();
        if (got != verdict) {
            throw new IllegalStateException("benchmark setup: " + what + ": " + p + " returned " + got + ", expected " + verdict);
        }
    }

    /** The kernel's mean nanoseconds per run over {@code repeat} runs of the same packet. */
    static long meanNanos(BpfProgram p, byte[] packet, int repeat) {
        return p.testRun(TestRunOptions.builder().data(packet).repeat(repeat).build()).durationNanos();
    }

    static byte[] tcpFromEndpoint(int flags, int dport) {
        return Packets.ethernet(EP.mac(), EP.nodeMac()).ipv4(EP.ipv4(), REMOTE).tcp(40000, dport, flags).payload(6).build();
    }

    @Override
    public void close() {
        object.close();
    }
}
