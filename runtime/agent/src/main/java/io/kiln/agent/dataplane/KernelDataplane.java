package io.kiln.agent.dataplane;

import io.kiln.FileTrees;
import io.kiln.KilnException;
import io.kiln.agent.api.LatencyHistogram;
import io.kiln.agent.api.MetricsProvider;
import io.kiln.agent.dataplane.internal.DnsRuleMaps;
import io.kiln.agent.dataplane.internal.Fingerprints;
import io.kiln.agent.dataplane.internal.Namespaces;
import io.kiln.agent.dataplane.internal.NodeMaps;
import io.kiln.agent.dataplane.internal.PolicyMaps;
import io.kiln.agent.plan.ChangeKind;
import io.kiln.agent.plan.EndpointPlan;
import io.kiln.agent.plan.ChainPlan;
import io.kiln.agent.plan.PlanFingerprint;
import io.kiln.agent.policy.DnsQueryRules;
import io.kiln.agent.policy.EndpointPolicy;
import io.kiln.agent.policy.NodeMapOp;
import io.kiln.agent.policy.NodeState;
import io.kiln.agent.policy.PolicyOp;
import io.kiln.agent.reconcile.ActualEndpoint;
import io.kiln.agent.reconcile.AdoptedState;
import io.kiln.agent.reconcile.Dataplane;
import io.kiln.agent.reconcile.Dataplane.HookSummary;
import io.kiln.agent.reconcile.RegenerateResult;
import io.kiln.bpf.BpfMap;
import io.kiln.runtime.AttachMode;
import io.kiln.runtime.AttachedEndpoint;
import io.kiln.runtime.EndpointLoader;
import io.kiln.runtime.NewerStateException;
import io.kiln.runtime.PolicyChain;
import io.kiln.runtime.Endpoint;
import io.kiln.runtime.HookStatus;
import io.kiln.host.NetInterface;
import io.kiln.host.Netns;
import io.kiln.runtime.PinLayout;
import io.kiln.runtime.SpecializedEndpoint;
import io.kiln.runtime.TemplateObject;
import io.kiln.runtime.Tier0;
import io.kiln.template.BuildParameters;
import io.kiln.templates.EndpointBpf.DnsRulesMap;
import io.kiln.templates.EndpointBpf.PolicyMap;
import io.kiln.template.Constants;
import io.kiln.template.TemplateDescriptor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The agent's kernel side over {@code io.kiln.runtime}: an endpoint's plan becomes an object
 * ({@link ObjectSources}: bundle, store, clang), its constants (the plan's, plus
 * {@code ENDPOINT_IFINDEX} and {@code NODE_MAC} read from the interface in its namespace), a policy
 * map holding exactly the plan's entries before any hook is touched, and programs attached or
 * swapped atomically ({@link EndpointLoader}). What each endpoint was built from is kept beside its
 * state file, so a restarted agent adopts everything without a reload. State changes are map writes
 * on the pins. Any failure leaves the endpoint's running programs as they were.
 *
 * <p><b>Tiers.</b> With tiering on (the default) a new endpoint of a template that has a tier 0 (a
 * build parameter {@value #CONFIG_SOURCE} with the value {@value #NODE}, the endpoint template) is
 * brought up on tier 0: the variant's node-wide generic program, loaded and verified once per node
 * and kept ({@link Tier0}); the endpoint gets its config entry, its policy map filled, and links to
 * tier 0, with no verifier on that path after the first. {@link #promote} then builds its
 * specialized program (tier 1) and swaps it in with one link update per hook; a failure there
 * leaves it on tier 0, enforced. An endpoint on tier 0 has a marker {@code ID.tier0} beside its
 * state file, so a restarted agent knows it and promotes it (the policy map is the same pinned
 * map in both tiers, so nothing is dropped). {@link Builder#tier0(boolean) tier0(false)} keeps the
 * old path: every endpoint goes straight to its specialized program.
 *
 * <p>Pins: {@code PIN_ROOT/node/MAP}, {@code PIN_ROOT/endpoints/ID/MAP}; state files:
 * {@code STATE_DIR/endpoints/ID.json} (the runtime's) and {@code ID.fingerprint.json} (the agent's).
 */
public final class KernelDataplane implements Dataplane, AutoCloseable {
    private static final String IFINDEX = "ENDPOINT_IFINDEX";
    private static final String NODE_MAC = "NODE_MAC";
    /** The build parameter that chooses a template's tier: {@value #NODE} builds its tier 0. */
    public static final String CONFIG_SOURCE = "configSource";
    public static final String NODE = "node";

    private final EndpointLoader loader;
    private final PolicyChain chains;
    private final ObjectSources objects;
    private final Fingerprints fingerprints;
    private final NodeMaps nodeMaps;
    private final Tier0Endpoints tier0;
    private final Namespaces namespaces;
    private final Map<Integer, AttachedEndpoint> attached = new ConcurrentHashMap<>();
    /** Moves of adopted endpoints' tc hooks to the kind {@code --attach} asks for, and their retries. */
    private final TcHookMover mover;
    private volatile int adopted;
    private final boolean tiered;
    private final Function<String, Optional<TemplateDescriptor>> templates;
    /** The template of each endpoint's last applied plan: its reasons label the endpoint's drop counters. */
    private final Map<Integer, TemplateDescriptor> planned = new ConcurrentHashMap<>();
    /** Templates chained by the plans applied so far, by name: what their counters are read with. */
    private final Map<String, TemplateDescriptor> chainedTemplates = new ConcurrentHashMap<>();
    /** How long a promoted endpoint's tier-0 entries outlive the link update (packets in flight). */
    static final Duration TIER0_GRACE = Duration.ofMillis(100);
    private final LatencyHistogram phases = new LatencyHistogram("kiln_regeneration_phase_seconds",
            "Time of each phase of a regeneration: object (bundle, store or clang), load_attach (verifier, maps, hooks).",
            "phase", LatencyHistogram.DEFAULT_BUCKETS);

    private KernelDataplane(Builder b) {
        this.loader = EndpointLoader.builder().pinRoot(b.pinRoot).stateDir(b.stateDir.resolve("endpoints"))
                .attachMode(b.mode).build();
        this.chains = new PolicyChain(loader);
        this.mover = new TcHookMover(loader, chains, attached, KernelDataplane::intact);
        this.objects = Objects.requireNonNull(b.objects, "objects");
        this.fingerprints = new Fingerprints(loader.stateDir());
        this.namespaces = new Namespaces(b.nodeNamespace);
        this.nodeMaps = new NodeMaps(loader.pins(), namespaces);
        this.tier0 = new Tier0Endpoints(loader);
        this.tiered = b.tier0;
        this.templates = b.templates;
    }

    /** True when new endpoints of templates with a tier 0 are brought up there first. */
    public boolean tiered() {
        return tiered;
    }

    /** True when {@code t} has a tier 0 and {@code build} is not already its tier-0 build. */
    public static boolean hasTier0(TemplateDescriptor t, BuildParameters build) {
        return t.buildParameter(CONFIG_SOURCE).map(p -> p.values().contains(NODE)).orElse(false)
                && !NODE.equals(String.valueOf(build.get(CONFIG_SOURCE)));
    }

    /** The build parameters of {@code build}'s tier 0: the same with {@value #CONFIG_SOURCE} set to {@value #NODE}. */
    public static BuildParameters tier0Build(BuildParameters build) {
        Map<String, Object> v = new TreeMap<>(build.values());
        v.put(CONFIG_SOURCE, NODE);
        return BuildParameters.of(v);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** How many endpoints {@link #adopt} found running (0 before it ran). */
    public int adopted() {
        return adopted;
    }

    public EndpointLoader loader() {
        return loader;
    }

    public ObjectSources objects() {
        return objects;
    }

    /** Cache hits and misses, clang runs, phase times and every endpoint's drop counters, for {@code /metrics}. */
    public MetricsProvider metrics() {
        return new DataplaneMetrics(objects, this::reasonCounters,
                () -> new ChainCounters(loader, this::chainedTemplate).family(loader.endpointIds()), phases,
                mover::metrics);
    }

    @Override
    public Map<Integer, HookSummary> hookSummaries() {
        return mover.hookSummaries();
    }

    /** A chained template by name: as a plan gave it, else (adopted, not planned since) from the finder. */
    private Optional<TemplateDescriptor> chainedTemplate(String name) {
        TemplateDescriptor t = chainedTemplates.get(name);
        return t != null ? Optional.of(t) : templates.apply(name);
    }

    /**
     * The reason counters of every attached endpoint's template (its descriptor's
     * {@code reasonCounters} map, pinned per endpoint), for {@code /metrics}. A template whose
     * counter map is node-wide counts no single endpoint and is left out; so is an endpoint whose
     * template is unknown (adopted, not planned since, and no {@link Builder#templates} finder).
     */
    public List<ReasonCounters> reasonCounters() {
        List<ReasonCounters> out = new ArrayList<>();
        for (AttachedEndpoint a : new TreeMap<>(attached).values()) {
            TemplateDescriptor t = planned.get(a.id());
            if (t == null || !t.name().equals(a.template())) {
                t = templates.apply(a.template()).orElse(null);
            }
            if (t == null || t.reasonCounters().isEmpty()) {
                continue;
            }
            String map = t.reasonCounters().get();
            if (t.map(map).map(m -> m.scope() != io.kiln.template.MapScope.ENDPOINT).orElse(true)) {
                continue;
            }
            // the pin by the layout, not a.mapPins(): that waits for a swap in progress, /metrics must not
            ReasonCounters.of(a.id(), t, loader.pins().endpointMap(a.id(), map)).ifPresent(out::add);
        }
        // the templates chained in front of the dataplane count their own drops, under their own names
        out.addAll(new ChainCounters(loader, this::chainedTemplate).reasonCounters(new ArrayList<>(new TreeMap<>(attached).keySet())));
        return out;
    }

    // ---- attach, reattach, swap ----

    @Override
    public RegenerateResult attach(EndpointPlan plan) {
        return regenerate(plan, ChangeKind.CREATE);
    }

    @Override
    public RegenerateResult reattach(EndpointPlan plan) {
        return regenerate(plan, ChangeKind.RECREATE);
    }

    @Override
    public RegenerateResult swap(EndpointPlan plan, ChangeKind kind) {
        return regenerate(plan, kind);
    }

    @Override
    public RegenerateResult promote(EndpointPlan plan) {
        return regenerate(plan, ChangeKind.CONSTANTS);
    }

    private RegenerateResult regenerate(EndpointPlan plan, ChangeKind kind) {
        boolean fresh = kind == ChangeKind.RECREATE
                || (!attached.containsKey(plan.id()) && !Files.exists(loader.stateFile(plan.id())));
        if (tiered && fresh && tieredBypass.get() == null && hasTier0(plan.template(), plan.build())) {
            return attachTier0(plan, kind);
        }
        String prefix = plan.label() + ": ";
        long t0 = System.nanoTime();
        TemplateObject object;
        try {
            object = objects.get(plan.template(), plan.build());
        } catch (RuntimeException e) {
            throw DataplaneException.of(prefix, e);
        }
        long t1 = System.nanoTime();
        phases.observe("object", (t1 - t0) / 1e9);
        try {
            Endpoint endpoint = endpoint(plan);
            Consumer<SpecializedEndpoint> fillPolicy = loaded -> writePolicy(loaded, plan, prefix);
            boolean nothingRecorded = !attached.containsKey(plan.id()) && !Files.exists(loader.stateFile(plan.id()));
            ChangeKind effective = nothingRecorded && kind != ChangeKind.RECREATE ? ChangeKind.CREATE : kind;
            boolean wasOnTier0 = tier0.isOn(plan.id());
            AttachedEndpoint a = switch (effective) {
                case CREATE -> {
                    clearLeftovers(plan.id());
                    yield loader.attach(object, endpoint, fillPolicy);
                }
                case RECREATE -> {
                    detachEndpoint(plan.id());
                    yield loader.attach(object, endpoint, fillPolicy);
                }
                case CONSTANTS, VARIANT -> {
                    AttachedEndpoint current = current(plan.id());
                    if (current.status().stream().anyMatch(HookStatus::isEmpty)) {
                        loader.resync(current); // the interface lost a hook (recreated): the swap attaches it again
                    }
                    loader.swap(current, object, endpoint, fillPolicy);
                    yield current;
                }
                default -> throw new IllegalArgumentException(prefix + "regenerate cannot apply a " + kind + " change");
            };
            if (wasOnTier0 && effective != ChangeKind.CREATE && effective != ChangeKind.RECREATE) {
                tier0.leave(a, TIER0_GRACE); // packets already inside tier 0 still look their endpoint up
            }
            attached.put(plan.id(), a);
            planned.put(plan.id(), plan.template());
            applyChain(plan, a);
            fingerprints.write(plan.id(), plan.fingerprint());
            nodeMaps.catchUp();
            phases.observe("load_attach", (System.nanoTime() - t1) / 1e9);
            return new RegenerateResult(a.programIds(), a.variantKey().orElse(null));
        } catch (RuntimeException e) {
            throw DataplaneException.of(prefix, e);
        }
    }

    /**
     * Brings a new endpoint up on its variant's tier 0: the config entry, its policy map filled with
     * the plan's entries, then links to tier 0's programs. Tier 0 is loaded (and verified) on the
     * first endpoint of the variant and kept. An endpoint whose interface is in another namespace than
     * the endpoints already on that tier 0 (ifindexes are per namespace) goes straight to tier 1.
     */
    private RegenerateResult attachTier0(EndpointPlan plan, ChangeKind kind) {
        String prefix = plan.label() + ": ";
        long t0 = System.nanoTime();
        BuildParameters build0 = tier0Build(plan.build());
        TemplateObject object0;
        Tier0 loaded0;
        try {
            object0 = objects.get(plan.template(), build0);
            loaded0 = tier0.tier0(tier0Key(object0), object0);
        } catch (Tier0.NodeMapsChanged e) {
            // a build change of node maps (ctSize...) that no load has migrated yet: the specialized
            // load migrates them field by field; later endpoints of the variant find tier 0 fitting
            return regenerateTier1(plan, kind);
        } catch (RuntimeException e) {
            throw DataplaneException.of(prefix + "tier 0: ", e);
        }
        long t1 = System.nanoTime();
        phases.observe("tier0_object", (t1 - t0) / 1e9);
        try {
            Endpoint endpoint = endpoint(plan);
            long t2 = System.nanoTime();
            phases.observe("tier0_interface", (t2 - t1) / 1e9);
            String ns = namespaces.nameOf(endpoint.namespace());
            if (!tier0.serves(tier0Key(object0), String.valueOf(ns))) {
                return regenerateTier1(plan, kind); // tier 0 keys endpoints by ifindex, which is per namespace
            }
            if (kind == ChangeKind.RECREATE) {
                detachEndpoint(plan.id());
            } else {
                clearLeftovers(plan.id());
            }
            AttachedEndpoint a = loaded0.attach(endpoint, maps -> {
                if (maps.containsKey(PolicyMap.NAME)) {
                    try {
                        PolicyMaps.sync(maps.get(PolicyMap.NAME), plan.policy());
                    } catch (RuntimeException e) {
                        throw DataplaneException.of(prefix + "map " + PolicyMap.NAME + ": ", e);
                    }
                    writeDnsRules(plan.id(), plan.template(), plan.policy().dns(), prefix);
                }
            });
            long t3 = System.nanoTime();
            phases.observe("tier0_link", (t3 - t2) / 1e9);
            tier0.mark(plan.id(), true);
            attached.put(plan.id(), a);
            planned.put(plan.id(), plan.template());
            applyChain(plan, a);
            fingerprints.write(plan.id(), plan.fingerprint());
            nodeMaps.catchUp();
            long t4 = System.nanoTime();
            phases.observe("tier0_record", (t4 - t3) / 1e9);
            phases.observe("tier0_attach", (t4 - t1) / 1e9);
            return new RegenerateResult(a.programIds(), a.variantKey().orElse(null), 0);
        } catch (RuntimeException e) {
            throw DataplaneException.of(prefix + "tier 0: ", e);
        }
    }

    private static String tier0Key(TemplateObject o) {
        return o.variantKey().orElse(o.template().name() + "@" + System.identityHashCode(o));
    }

    private RegenerateResult regenerateTier1(EndpointPlan plan, ChangeKind kind) {
        tieredBypass.set(Boolean.TRUE);
        try {
            return regenerate(plan, kind);
        } finally {
            tieredBypass.remove();
        }
    }

    private final ThreadLocal<Boolean> tieredBypass = new ThreadLocal<>();

    @Override
    public java.util.OptionalInt ifindex(String interfaceName, String namespace) {
        try {
            Netns ns = namespaces.of(namespace);
            if (!ns.exists()) {
                return java.util.OptionalInt.empty();
            }
            return ns.findInterface(interfaceName).map(n -> java.util.OptionalInt.of(n.ifindex()))
                    .orElse(java.util.OptionalInt.empty());
        } catch (KilnException e) {
            return java.util.OptionalInt.empty(); // a bad name or namespace: the spec checks report those
        }
    }

    /**
     * Brings the endpoint's policy chain to the plan's, before the dataplane programs {@code a} runs.
     * A failure leaves the dataplane attached and enforcing; the fingerprint recorded then differs
     * from the plan's, so that the next reconciliation tries the chain again.
     */
    private void applyChain(EndpointPlan plan, AttachedEndpoint a) {
        plan.chain().forEach(c -> chainedTemplates.put(c.template().name(), c.template()));
        if (plan.chain().isEmpty()) {
            List<AttachedEndpoint> running = chains.adopt(plan.id());
            running.forEach(AttachedEndpoint::close);
            if (running.isEmpty()) {
                return; // no chain wanted, none runs
            }
        }
        try {
            List<PolicyChain.Member> members = new ArrayList<>();
            for (int i = 0; i < plan.chain().size(); i++) {
                ChainPlan c = plan.chain().get(i);
                String at = "chain[" + i + "] (template " + c.template().name() + "): ";
                try {
                    TemplateObject o = objects.get(c.template(), c.build());
                    members.add(new PolicyChain.Member(o, endpoint(plan, c.template(), c.constants()).constants()));
                } catch (RuntimeException e) {
                    throw DataplaneException.of(at, e);
                }
            }
            chains.apply(a, members).forEach(AttachedEndpoint::close);
        } catch (RuntimeException e) {
            fingerprints.write(plan.id(), new PlanFingerprint(plan.fingerprint().attachment(), plan.template().name(),
                    plan.build().canonical(), plan.fingerprint().constants() + "|chain failed", plan.fingerprint().sources()));
            throw e;
        }
    }

    /** The runtime's endpoint: the plan's constants plus those read from the interface, encoded. */
    private Endpoint endpoint(EndpointPlan plan) {
        return endpoint(plan, plan.template(), plan.constants());
    }

    /** {@link #endpoint(EndpointPlan)} for template {@code t} with {@code constants}. */
    private Endpoint endpoint(EndpointPlan plan, TemplateDescriptor t, Map<String, Object> constants) {
        Netns ns = namespaces.of(plan.namespace());
        Map<String, Object> values = new TreeMap<>(constants);
        if (t.constant(IFINDEX).isPresent() || t.constant(NODE_MAC).isPresent()) {
            NetInterface nif = ns.findInterface(plan.interfaceName()).orElseThrow(() -> new DataplaneException(
                    plan.label() + ": no interface " + plan.interfaceName() + " in network namespace "
                            + namespaces.describe(plan.namespace()), false, null));
            t.constant(IFINDEX).ifPresent(c -> values.put(IFINDEX, (long) nif.ifindex()));
            t.constant(NODE_MAC).ifPresent(c -> values.put(NODE_MAC, nif.mac()));
        }
        return new Endpoint(plan.id(), plan.interfaceName(), Constants.encodeAll(t, values), ns);
    }

    private void writePolicy(SpecializedEndpoint loaded, EndpointPlan plan, String prefix) {
        if (!declares(plan.template(), PolicyMap.NAME)) {
            return;
        }
        try {
            PolicyMaps.sync(loaded.map(PolicyMap.NAME), plan.policy());
        } catch (RuntimeException e) {
            throw DataplaneException.of(prefix + "map " + PolicyMap.NAME + ": ", e);
        }
        writeDnsRules(plan.id(), plan.template(), plan.policy().dns(), prefix);
    }

    /**
     * Makes the node map {@code dns_rules} hold the endpoint's DNS rules on queries. A template
     * without the map cannot judge queries: rules for it are an error of the endpoint, never
     * silently ignored.
     */
    private void writeDnsRules(int id, TemplateDescriptor template, DnsQueryRules rules, String prefix) {
        Path pin = loader.pins().nodeMap(DnsRulesMap.NAME);
        if (template != null && !declares(template, DnsRulesMap.NAME) || !Files.exists(pin)) {
            if (rules.enforced()) {
                throw new DataplaneException(prefix + "map " + DnsRulesMap.NAME + ": the endpoint's policy has DNS"
                        + " rules on queries, but " + (template != null && !declares(template, DnsRulesMap.NAME)
                        ? "template " + template.name() + " does not declare the map" : "it is not pinned at " + pin),
                        false, null);
            }
            return;
        }
        try (BpfMap map = BpfMap.openPinned(pin)) {
            DnsRuleMaps.sync(map, id, rules);
        } catch (RuntimeException e) {
            throw DataplaneException.of(prefix + "map " + DnsRulesMap.NAME + ": ", e);
        }
    }

    @Override
    public void applyDnsRules(int endpointId, DnsQueryRules rules) {
        TemplateDescriptor t = planned.get(endpointId);
        writeDnsRules(endpointId, t, rules, "endpoint " + endpointId + ": ");
    }

    private static boolean declares(TemplateDescriptor t, String map) {
        return t.maps().stream().anyMatch(m -> m.name().equals(map));
    }

    private AttachedEndpoint current(int id) {
        return attached.computeIfAbsent(id, loader::adopt);
    }

    /** A state file or links the reconciler does not know of (a failed adoption, an attach cut short) go first. */
    private void clearLeftovers(int id) {
        chains.detach(id);
        AttachedEndpoint known = attached.remove(id);
        if (known == null && !Files.exists(loader.stateFile(id)) && !Files.exists(loader.pins().linksDir(id))) {
            return;
        }
        try {
            if (known != null) {
                loader.detach(known);
            } else {
                loader.detach(id);
            }
        } catch (NewerStateException newer) {
            // a downgrade: what a newer Kiln attached keeps running; this endpoint waits for a Kiln that reads it
            throw new DataplaneException(newer.getMessage(), false, newer);
        } catch (RuntimeException unreadable) {
            // a state file this runtime cannot read: remove it and the pins by hand (unpinned links go away)
            deleteTree(loader.pins().endpointDir(id));
            deleteTree(loader.stateFile(id));
        }
    }

    private void detachEndpoint(int id) {
        mover.detaching(id, () -> detachEndpointNow(id));
    }

    private void detachEndpointNow(int id) {
        chains.detach(id); // first: a chain's tc filters keep the clsact qdisc the dataplane may remove
        AttachedEndpoint a = attached.remove(id);
        if (tier0.recorded(id)) {
            AttachedEndpoint known = a != null ? a : adoptOrNull(id);
            if (known != null) {
                a = known;
                tier0.leave(known, Duration.ZERO); // before the detach: the config entry must not outlive the links' owner
            } else {
                tier0.mark(id, false);
            }
        }
        if (a != null) {
            loader.detach(a);
        } else {
            loader.detach(id);
        }
        clearDnsRules(id);
        fingerprints.delete(id);
    }

    /** After a detach: the endpoint's DNS rules go too (an id used again starts without them). */
    private void clearDnsRules(int id) {
        Path pin = loader.pins().nodeMap(DnsRulesMap.NAME);
        if (!Files.exists(pin)) {
            return;
        }
        try (BpfMap map = BpfMap.openPinned(pin)) {
            DnsRuleMaps.clear(map, id);
        } catch (RuntimeException e) {
            throw DataplaneException.of("endpoint " + id + ": map " + DnsRulesMap.NAME + ": ", e);
        }
    }

    private AttachedEndpoint adoptOrNull(int id) {
        try {
            return Files.exists(loader.stateFile(id)) ? loader.adopt(id) : null;
        } catch (RuntimeException unreadable) {
            return null;
        }
    }

    // ---- state ----

    @Override
    public void applyPolicyOps(int endpointId, List<PolicyOp> ops) {
        Path pin = loader.pins().endpointMap(endpointId, PolicyMap.NAME);
        if (!Files.exists(pin)) {
            throw new DataplaneException("endpoint " + endpointId + ": map policy: not pinned at " + pin
                    + " (are its programs attached?)", false, null);
        }
        try (BpfMap map = BpfMap.openPinned(pin)) {
            PolicyMaps.apply(map, ops);
        } catch (RuntimeException e) {
            throw DataplaneException.of("endpoint " + endpointId + ": map policy: ", e);
        }
    }

    @Override
    public void applyNodeOps(List<NodeMapOp> ops) {
        nodeMaps.apply(ops);
    }

    @Override
    public void detach(int endpointId) {
        planned.remove(endpointId);
        try {
            detachEndpoint(endpointId);
        } catch (RuntimeException e) {
            throw DataplaneException.of("endpoint " + endpointId + ": remove: ", e);
        }
    }

    /** Lets go of this process's handles on programs, links and maps; every endpoint keeps running. */
    @Override
    public void close() {
        mover.close();
        tier0.drain(); // entries of endpoints promoted just now still go, after their grace
        attached.values().forEach(AttachedEndpoint::close);
        attached.clear();
        tier0.close();
    }

    // ---- adopt ----

    @Override
    public AdoptedState adopt() {
        List<ActualEndpoint> out = new ArrayList<>();
        Map<Integer, NodeMaps.Attached> where = new TreeMap<>();
        for (int id : loader.endpointIds()) {
            AttachedEndpoint a;
            try {
                a = loader.adopt(id);
            } catch (RuntimeException e) {
                continue; // unreadable: unknown to the reconciler, cleared if it wants the endpoint again
            }
            attached.put(id, a);
            PlanFingerprint f = fingerprints.read(id);
            if (!intact(a)) {
                f = null; // a hook lost its program: reload once, which attaches it again
            } else {
                mover.adopted(a);
            }
            int tier = tier0.adopt(id) ? 0 : 1;
            out.add(new ActualEndpoint(id, f, readPolicy(a), a.programIds(), a.variantKey().orElse(null), tier));
            where.put(id, new NodeMaps.Attached(a.interfaceName(), namespaces.nameOf(a.namespace()), a.ifindex()));
        }
        adopted = out.size();
        // old node maps a killed agent kept for endpoints still on their old programs (before any swap here)
        for (String problem : loader.adoptRetiredNodeMaps()) {
            System.err.println("kiln agent: " + problem);
        }
        NodeState node;
        try {
            node = nodeMaps.read(where);
        } catch (RuntimeException e) {
            node = null; // unreadable: every wanted entry is written again
        }
        return new AdoptedState(out, node);
    }

    private static boolean intact(AttachedEndpoint a) {
        try {
            return a.status().stream().allMatch(HookStatus::isIntact);
        } catch (RuntimeException namespaceGone) {
            return false;
        }
    }

    private EndpointPolicy readPolicy(AttachedEndpoint a) {
        if (!a.mapPins().containsKey(PolicyMap.NAME)) {
            return null;
        }
        EndpointPolicy p;
        try (BpfMap m = a.openMap(PolicyMap.NAME)) {
            p = PolicyMaps.read(m);
        } catch (RuntimeException e) {
            return null;
        }
        Path dns = loader.pins().nodeMap(DnsRulesMap.NAME);
        if (!Files.exists(dns)) {
            return p;
        }
        try (BpfMap m = BpfMap.openPinned(dns)) {
            return p.withDns(DnsRuleMaps.read(m, a.id())); // what an earlier agent left is written over if unwanted
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static void deleteTree(Path p) {
        if (!Files.exists(p)) {
            return;
        }
        try {
            FileTrees.delete(p);
        } catch (IOException e) {
            throw new KilnException("remove " + p + ": " + e.getMessage(), e);
        }
    }

    /** Where pins and state go, how tc programs attach, where objects come from. */
    public static final class Builder {
        private Path pinRoot = PinLayout.DEFAULT_ROOT;
        private Path stateDir = Path.of("/run/kiln");
        private AttachMode mode = AttachMode.AUTO;
        private ObjectSources objects;
        private Netns nodeNamespace = Netns.host();
        private boolean tier0 = true;
        private Function<String, Optional<TemplateDescriptor>> templates = name -> Optional.empty();

        private Builder() {
        }

        /**
         * Finds a template's descriptor by name (the agent's catalog): an endpoint adopted after a
         * restart, and not regenerated since, gets its drop counters labelled by its template's
         * declared reasons through it. Default: none, such an endpoint's counters wait for its plan.
         */
        public Builder templates(Function<String, Optional<TemplateDescriptor>> find) {
            this.templates = Objects.requireNonNull(find, "find");
            return this;
        }

        /**
         * Whether new endpoints of templates with a tier 0 start there and are promoted to their
         * specialized program behind it (default true); false: straight to the specialized program.
         */
        public Builder tier0(boolean on) {
            this.tier0 = on;
            return this;
        }

        /** Where the interfaces of specs that name no {@code namespace} are (default: the agent's own namespace). */
        public Builder nodeNamespace(Netns ns) {
            this.nodeNamespace = Objects.requireNonNull(ns, "ns");
            return this;
        }

        /** bpffs folder of every pin (default /sys/fs/bpf/kiln). */
        public Builder pinRoot(Path root) {
            this.pinRoot = Objects.requireNonNull(root, "root");
            return this;
        }

        /** The agent's state folder (default /run/kiln); endpoint state files go to its {@code endpoints/}. */
        public Builder stateDirectory(Path dir) {
            this.stateDir = dir.toAbsolutePath().normalize();
            return this;
        }

        public Builder attachMode(AttachMode m) {
            this.mode = Objects.requireNonNull(m, "mode");
            return this;
        }

        public Builder objects(ObjectSources o) {
            this.objects = Objects.requireNonNull(o, "objects");
            return this;
        }

        public KernelDataplane build() {
            return new KernelDataplane(this);
        }
    }
}
