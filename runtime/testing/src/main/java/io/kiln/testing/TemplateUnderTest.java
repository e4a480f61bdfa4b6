package io.kiln.testing;

import io.kiln.bpf.BpfMap;
import io.kiln.bpf.BpfObject;
import io.kiln.bpf.BpfProgram;
import io.kiln.bpf.TestRunOptions;
import io.kiln.bpf.TestRunResult;
import io.kiln.build.BuiltVariant;
import io.kiln.host.Netns;
import io.kiln.build.VariantBuilder;
import io.kiln.template.BuildParameters;
import io.kiln.template.Constants;
import io.kiln.template.Parameters;
import io.kiln.template.TemplateDescriptor;
import io.kiln.template.Templates;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One variant of a template, specialized with constants and loaded into the kernel with its own
 * maps, for running packets through {@code BPF_PROG_TEST_RUN}. Nothing is pinned or attached:
 * each instance is isolated from every other, and {@link #close()} frees programs and maps.
 * Variants are compiled through {@link SharedVariants} (once per test JVM) unless the builder is
 * given another {@link VariantBuilder}.
 *
 * <pre>{@code
 * try (TemplateUnderTest ep = TemplateUnderTest.of(Path.of("src/main/bpf/endpoint"))
 *         .parameter("policyMode", "enforce")
 *         .constant("ENDPOINT_IPV4", "198.18.0.12")
 *         .constant("ENDPOINT_MAC", "02:00:00:00:00:0c")
 *         .load()) {
 *     // EndpointMaps: a test helper over bpf-templates' generated io.kiln.templates.EndpointBpf
 *     ep.map("policy").put(EndpointMaps.policyKey(0, 80, Packets.IPPROTO_TCP, EndpointMaps.DIR_EGRESS),
 *             EndpointMaps.policyValue(EndpointMaps.ALLOW));
 *     byte[] syn = Packets.ethernet("02:00:00:00:00:0c", "02:00:00:00:00:01")
 *             .ipv4("198.18.0.12", "198.18.0.20").tcp(40000, 80, Packets.TCP_SYN).build();
 *     ep.run("from_endpoint", syn).assertVerdict(TestRun.TC_ACT_OK);
 *     assertEquals(1, ep.map("metrics").sumU64(EndpointMaps.metricsKey(EndpointMaps.DIR_EGRESS, DropReason.FORWARDED), 0));
 * }
 * }</pre>
 *
 * {@link Builder#load()} first checks {@link KernelRequirements#assumeKernel()}: without root or
 * BPF the test is skipped, or fails under {@code KILN_REQUIRE_KERNEL=1}.
 */
public final class TemplateUnderTest implements AutoCloseable {
    /** {@code sizeof(struct __sk_buff)} (linux/bpf.h since 5.16); {@code mark} is at offset 8. */
    static final int SKB_CONTEXT_SIZE = 192;
    private static final int SKB_MARK_OFFSET = 8;
    private static final int SKB_IFINDEX_OFFSET = 40;
    private static final int PROG_TYPE_XDP = 6;

    private final TemplateDescriptor template;
    private final BuiltVariant variant;
    private final BpfObject object;
    private final List<Integer> programIds = new ArrayList<>();
    private final List<Integer> mapIds = new ArrayList<>();
    private final List<AutoCloseable> owned = new ArrayList<>();
    private volatile Netns runNamespace = Netns.host();
    private volatile int runIfindex;

    private TemplateUnderTest(TemplateDescriptor template, BuiltVariant variant, BpfObject object) {
        this.template = template;
        this.variant = variant;
        this.object = object;
        for (BpfProgram p : object.programs()) {
            programIds.add(p.id());
        }
        for (BpfMap m : object.maps()) {
            mapIds.add(m.id());
        }
    }

    /** A template from its folder or descriptor. */
    public static Builder of(Path templateFolderOrDescriptor) {
        return new Builder(Templates.load(templateFolderOrDescriptor));
    }

    public static Builder of(TemplateDescriptor template) {
        return new Builder(template);
    }

    public TemplateDescriptor template() {
        return template;
    }

    public BuiltVariant variant() {
        return variant;
    }

    /** The loaded object, for what this class does not cover (pins, attach). */
    public BpfObject object() {
        return object;
    }

    public TestMap map(String name) {
        return new TestMap(object.map(name));
    }

    public BpfProgram program(String name) {
        return object.program(name);
    }

    /**
     * Makes every later tc run see the packet on interface {@code ifindex} of {@code namespace}
     * ({@code skb->ifindex}, {@code skb->dev}): {@code BPF_PROG_TEST_RUN} then runs on a thread inside
     * that namespace, where the interface must exist (ifindex 2 or more). Needed by programs that
     * look their configuration up by interface, such as a node-wide tier 0. Default: the kernel's
     * choice (the loopback device of the calling thread's namespace).
     */
    public TemplateUnderTest runOnInterface(Netns namespace, int ifindex) {
        if (ifindex < 2) {
            throw new IllegalArgumentException("ifindex " + ifindex + ": the kernel takes 2 or more (1 is loopback, its default)");
        }
        this.runNamespace = java.util.Objects.requireNonNull(namespace, "namespace");
        this.runIfindex = ifindex;
        return this;
    }

    /** Closes {@code resource} with this instance, after its object (last added, first closed). */
    public synchronized <T extends AutoCloseable> T closeWith(T resource) {
        owned.add(resource);
        return resource;
    }

    /** Runs {@code packet} once through {@code program}. */
    public TestRun run(String program, byte[] packet) {
        return run(program, packet, 0);
    }

    /** Runs {@code packet} once through a tc {@code program} whose {@code skb->mark} starts as {@code mark}. */
    public TestRun run(String program, byte[] packet, int mark) {
        return run(program, packet, mark, 1);
    }

    /**
     * Runs {@code packet} {@code repeat} times; the kernel reports the mean time per run. With
     * {@code repeat > 1} every run works on the same packet buffer, so a program that rewrites the
     * packet sees its own rewrite from the second run on.
     */
    public TestRun run(String program, byte[] packet, int mark, int repeat) {
        BpfProgram p = object.program(program);
        boolean xdp = p.typeId() == PROG_TYPE_XDP;
        TestRunOptions.Builder options = TestRunOptions.builder().data(packet).repeat(repeat);
        if (!xdp) {
            byte[] ctx = new byte[SKB_CONTEXT_SIZE];
            ByteBuffer.wrap(ctx).order(ByteOrder.LITTLE_ENDIAN).putInt(SKB_MARK_OFFSET, mark)
                    .putInt(SKB_IFINDEX_OFFSET, runIfindex);
            options.context(ctx).contextOutSize(SKB_CONTEXT_SIZE);
        } else if (mark != 0) {
            throw new IllegalArgumentException(program + ": an XDP program has no skb->mark");
        }
        TestRunOptions built = options.build();
        TestRunResult r = xdp ? p.testRun(built) : runNamespace.call(() -> p.testRun(built));
        int markAfter = xdp || r.context().length < SKB_MARK_OFFSET + 4 ? 0
                : ByteBuffer.wrap(r.context()).order(ByteOrder.LITTLE_ENDIAN).getInt(SKB_MARK_OFFSET);
        return new TestRun(program, xdp, r.retval(), r.data(), markAfter, r.durationNanos());
    }

    /** Instructions the verifier processed for {@code program} at load (-1 where the kernel does not say). */
    public int verifiedInstructions(String program) {
        return object.program(program).verifiedInstructions();
    }

    /** Kernel ids of the programs and maps this instance loaded: a test can check they are gone after close. */
    public List<Integer> programIds() {
        return List.copyOf(programIds);
    }

    public List<Integer> mapIds() {
        return List.copyOf(mapIds);
    }

    /**
     * Frees the object's programs and maps (unless something pinned or attached them), then closes
     * what {@link #closeWith} was given. Idempotent.
     */
    @Override
    public void close() {
        object.close();
        List<AutoCloseable> toClose;
        synchronized (this) {
            toClose = new ArrayList<>(owned);
            owned.clear();
        }
        RuntimeException failure = null;
        for (int i = toClose.size() - 1; i >= 0; i--) {
            try {
                toClose.get(i).close();
            } catch (Exception e) {
                RuntimeException r = e instanceof RuntimeException re ? re : new IllegalStateException(e);
                if (failure == null) {
                    failure = r;
                } else {
                    failure.addSuppressed(r);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return variant.displayName();
    }

    /** What to build and how to specialize it. */
    public static final class Builder {
        private final TemplateDescriptor template;
        private final Map<String, Object> parameters = new LinkedHashMap<>();
        private BuildParameters resolved;
        private final Map<String, Object> constants = new LinkedHashMap<>();
        private final Map<String, byte[]> rawConstants = new LinkedHashMap<>();
        private VariantBuilder variants;
        private Consumer<BpfObject> beforeLoad = o -> { };
        private String objectName;

        private Builder(TemplateDescriptor template) {
            this.template = template;
        }

        /** A build parameter (String or typed, as {@link Parameters#resolve} takes); the rest keep their defaults. */
        public Builder parameter(String name, Object value) {
            parameters.put(name, value);
            resolved = null;
            return this;
        }

        public Builder parameters(Map<String, ?> values) {
            parameters.putAll(values);
            resolved = null;
            return this;
        }

        /** Exactly this variant, e.g. one of {@link Parameters#matrix}. */
        public Builder parameters(BuildParameters values) {
            parameters.clear();
            resolved = values;
            return this;
        }

        /** An endpoint constant, encoded by its declared type ({@link Constants#encode}): "198.18.0.12", 3001, ... */
        public Builder constant(String name, Object value) {
            constants.put(name, value);
            rawConstants.remove(name);
            return this;
        }

        public Builder constants(Map<String, ?> values) {
            values.forEach(this::constant);
            return this;
        }

        /** A constant's raw bytes, for values no text spells (every byte 0xff). */
        public Builder constantBytes(String name, byte[] bytes) {
            rawConstants.put(name, bytes.clone());
            constants.remove(name);
            return this;
        }

        /** Compile with this builder instead of {@link SharedVariants#builder()}. */
        public Builder variants(VariantBuilder builder) {
            this.variants = builder;
            return this;
        }

        /**
         * The object's name (default: the template's), which libbpf puts before its internal maps
         * ({@code NAME.rodata}, first 8 characters): a distinct name lets {@link BpfLeakCheck} find them.
         */
        public Builder objectName(String name) {
            this.objectName = name;
            return this;
        }

        /** Runs after the constants are set and before the load: set pin paths, reuse maps. */
        public Builder beforeLoad(Consumer<BpfObject> action) {
            this.beforeLoad = action;
            return this;
        }

        public BuildParameters buildParameters() {
            return resolved != null ? resolved : Parameters.resolve(template, parameters);
        }

        /** Renders and compiles the variant (through the shared cache) without touching the kernel. */
        public BuiltVariant build() {
            KernelRequirements.assumeTools("clang");
            return (variants != null ? variants : SharedVariants.builder()).build(template, buildParameters());
        }

        /** Builds the variant, opens it, sets the constants, loads it: the verifier runs here. */
        public TemplateUnderTest load() {
            KernelRequirements.assumeKernel();
            BuiltVariant variant = build();
            Map<String, byte[]> encoded = new LinkedHashMap<>(Constants.encodeAll(template, constants));
            rawConstants.forEach((name, bytes) -> {
                if (template.constant(name).isEmpty()) {
                    throw new IllegalArgumentException("template " + template.name() + ": no constant " + name);
                }
                encoded.put(name, bytes);
            });
            BpfObject object = BpfObject.open(variant.result().object().bytes(),
                    objectName != null ? objectName : sanitized(template.name()));
            try {
                encoded.forEach(object::setConstant);
                beforeLoad.accept(object);
                object.load();
                return new TemplateUnderTest(template, variant, object);
            } catch (RuntimeException | Error e) {
                object.close();
                throw e;
            }
        }

        private static String sanitized(String templateName) {
            return templateName.replaceAll("[^A-Za-z0-9_.-]", "_");
        }
    }
}
