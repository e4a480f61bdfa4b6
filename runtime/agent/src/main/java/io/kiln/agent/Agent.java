package io.kiln.agent;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kiln.agent.api.AgentClient;
import io.kiln.agent.api.ApiServer;
import io.kiln.agent.api.ApiSource;
import io.kiln.agent.api.MetricsProvider;
import io.kiln.agent.api.MetricsServer;
import io.kiln.agent.flow.FlowExport;
import io.kiln.agent.flow.FlowMetrics;
import io.kiln.agent.flow.FlowPipeline;
import io.kiln.agent.fqdn.DnsLearner;
import io.kiln.agent.fqdn.FqdnListing;
import io.kiln.agent.plan.EndpointPlan;
import io.kiln.agent.policy.PolicyComputer;
import io.kiln.agent.spec.FqdnSelector;
import io.kiln.agent.spec.PolicySpec;
import io.kiln.host.Netns;
import io.kiln.agent.identity.IdentityAllocator;
import io.kiln.agent.k8s.KubernetesSource;
import io.kiln.agent.k8s.PodProfiles;
import io.kiln.agent.plan.Plan;
import io.kiln.agent.plan.Planner;
import io.kiln.agent.reconcile.Dataplane;
import io.kiln.agent.reconcile.Reconciler;
import io.kiln.agent.reconcile.ReconcilerOptions;
import io.kiln.agent.source.DirectorySource;
import io.kiln.agent.source.SpecAggregator;
import io.kiln.agent.spec.Cidr;
import io.kiln.agent.spec.DesiredState;
import io.kiln.agent.spec.SpecError;
import io.kiln.agent.spec.TemplateCatalog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The node agent, wired: sources (spec directory, local API, Kubernetes) → {@link SpecAggregator}
 * → {@link Planner} (identities, policy maps, node maps) → {@link Reconciler} → the
 * {@link Dataplane} given. {@code kiln agent} builds one of these; tests build one with
 * temporary folders.
 *
 * <p>State lives under the state folder ({@code /run/kiln} by default): {@code identities.json},
 * {@code api/} (specs applied through the API), {@code api.sock} (the API's Unix domain socket, mode
 * 0600: the API's default and only transport unless TCP is asked for), {@code api-token} (mode 0600,
 * written only when the API also listens on TCP), {@code fqdn.json} (with DNS learning: the names
 * learned from DNS answers, read back at start).
 */
public final class Agent implements AutoCloseable {
    public static final Path DEFAULT_STATE_DIR = Path.of("/run/kiln");

    private final Builder b;
    private final Reconciler reconciler;
    private final Planner planner;
    private final List<AutoCloseable> running = new ArrayList<>();
    private volatile DesiredState desired = DesiredState.EMPTY;
    private volatile Plan plan = Plan.EMPTY;
    private ApiServer api;
    private FlowPipeline flows;
    private MetricsServer metricsServer;
    /** Plans one at a time: a new desired state, or what DNS answers taught. */
    private final Object planLock = new Object();
    private List<SpecError> lastErrors = List.of();
    private boolean planned;
    private final DnsLearner dns;

    private Agent(Builder b) {
        this.b = b;
        IdentityAllocator identities = IdentityAllocator.open(b.stateDir.resolve("identities.json"));
        this.planner = new Planner(b.catalog, identities, b.hostCidrs, b.options.clock()).interfaces(b.dataplane::ifindex);
        this.reconciler = new Reconciler(b.dataplane, b.options);
        this.dns = b.dns == null ? null : new DnsLearner(b.dns, new DnsHost()).persistTo(b.stateDir.resolve("fqdn.json"));
        if (dns != null) {
            planner.learned(selectors -> dns.cache().addresses(selectors)).learnedNames(a -> dns.cache().names(a));
        }
    }

    /** What the DNS learner asks of the agent: the running plan's endpoints and policies, a plan, its writes. */
    private final class DnsHost implements DnsLearner.Host {
        @Override
        public java.util.SortedSet<FqdnSelector> selectors(int endpointId) {
            EndpointPlan ep = plan.endpoints().get(endpointId);
            return ep == null ? new java.util.TreeSet<>()
                    : PolicyComputer.fqdnSelectors(desired.policies().values(), ep.labels());
        }

        @Override
        public Netns interfaceNamespace(int endpointId) {
            EndpointPlan ep = plan.endpoints().get(endpointId);
            return ep == null || ep.namespace() == null ? b.dnsNodeNamespace : Netns.named(ep.namespace());
        }

        @Override
        public boolean apply(Set<Integer> endpointIds, Set<java.net.InetAddress> touched, Duration timeout)
                throws InterruptedException {
            synchronized (planLock) {
                if (planned) {
                    // what the answers changed, alone: an address of a known class is one ipcache write
                    Plan p = planner.learnedChanged(touched);
                    if (p == null) {
                        p = planner.plan(desired, lastErrors);
                    }
                    if (p != plan) {
                        plan = p;
                        reconciler.update(p);
                    }
                }
            }
            return reconciler.awaitApplied(endpointIds, timeout);
        }
    }

    /** The rules a learned name feeds: "policy: selector" of the endpoint's policies whose selectors match it. */
    private List<String> fqdnRules(int endpointId, String name) {
        EndpointPlan ep = plan.endpoints().get(endpointId);
        List<String> out = new ArrayList<>();
        if (ep == null) {
            return out;
        }
        for (PolicySpec p : desired.policies().values()) {
            if (PolicyComputer.selects(p, ep.labels())) {
                for (FqdnSelector s : PolicyComputer.fqdnSelectors(p)) {
                    if (s.matches(name)) {
                        out.add(p.name() + ": " + s);
                    }
                }
            }
        }
        return out;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Adopts what runs, starts every source and the API. Nothing changes in the kernel until every
     * source has sent its first snapshot.
     */
    public synchronized Agent start() {
        reconciler.start();
        running.add(reconciler);
        Set<String> sources = new LinkedHashSet<>();
        if (b.specDir != null) {
            sources.add(DirectorySource.NAME);
        }
        if (b.api) {
            sources.add(ApiSource.NAME);
        }
        if (b.kubernetes != null) {
            sources.add(KubernetesSource.NAME);
        }
        SpecAggregator aggregator = new SpecAggregator(sources, this::onDesiredState);
        try {
            List<MetricsProvider> metrics = new ArrayList<>(List.of(reconciler, b.metrics));
            if (b.flows != null) {
                flows = new FlowPipeline(b.flows, () -> plan, new FlowMetrics(b.flowIdentityPairs));
                metrics.add(flows);
                if (b.flowExport != null) {
                    FlowExport export = FlowExport.open(b.flowExport);
                    running.add(0, export); // closed after the pipeline, which writes to it
                    flows.sink(export);
                    metrics.add(export);
                }
                flows.start();
                running.add(0, flows);
            }
            if (dns != null) {
                dns.start();
                running.add(0, dns);
                metrics.add(dns);
            }
            MetricsProvider allMetrics = MetricsProvider.of(metrics);
            if (b.metricsListen != null) {
                metricsServer = MetricsServer.start(b.metricsListen, allMetrics);
                running.add(0, metricsServer);
            }
            if (b.api) {
                createStateDirectory(); // the socket's home, even before anything else is written there
                ApiSource store = new ApiSource(b.stateDir.resolve("api"), aggregator);
                store.start();
                // the socket's mode is its access control; TCP, which any local user reaches, needs the token
                String token = b.apiPort >= 0 && b.apiToken ? writeToken(b.stateDir.resolve(tokenFileName())) : null;
                api = new ApiServer(new ApiServer.Options(b.apiPort, token, apiSocket()), store, b.catalog, () -> desired, reconciler,
                        allMetrics);
                api.flows(flows);
                if (dns != null) {
                    api.fqdn(new FqdnListing(dns, this::fqdnRules, b.options.clock()));
                }
                api.start();
                running.add(0, api);
            }
            if (b.specDir != null) {
                DirectorySource dir = new DirectorySource(b.specDir, aggregator, b.rescan);
                dir.start();
                running.add(0, dir);
            }
            if (b.kubernetes != null) {
                KubernetesSource k8s = new KubernetesSource(b.kubernetes, b.nodeName, aggregator,
                        b.podProfiles, KubernetesSource.DEFAULT_START_TIMEOUT, b.nodeFieldSelector);
                k8s.start();
                running.add(0, k8s);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        return this;
    }

    private void onDesiredState(DesiredState state, List<SpecError> errors) {
        synchronized (planLock) {
            desired = state;
            lastErrors = List.copyOf(errors);
            planned = true;
            if (dns != null) {
                plan.endpoints().keySet().stream().filter(id -> !state.endpoints().containsKey(id)).toList()
                        .forEach(dns::forget); // an endpoint gone takes what it learned along
            }
            Plan p = planner.plan(state, errors);
            plan = p;
            reconciler.update(p);
        }
    }

    /** The DNS learner, if the agent was built with {@link Builder#dnsLearning}. */
    public Optional<DnsLearner> dnsLearner() {
        return Optional.ofNullable(dns);
    }

    /** Where {@code GET /metrics} is served for scrapers, if asked for ({@link Builder#metricsListen}). */
    public Optional<MetricsServer> metricsServer() {
        return Optional.ofNullable(metricsServer);
    }

    /** The flow pipeline, if the agent was built with {@link Builder#flows}. */
    public Optional<FlowPipeline> flows() {
        return Optional.ofNullable(flows);
    }

    public Reconciler reconciler() {
        return reconciler;
    }

    /** The latest plan (empty until every source has reported). */
    public Plan plan() {
        return plan;
    }

    /** The merged desired state of every source. */
    public DesiredState desiredState() {
        return desired;
    }

    /** Where the API listens over TCP, if it was started with a port ({@link Builder#apiPort}). */
    public Optional<URI> apiUri() {
        return api == null || !api.tcp() ? Optional.empty() : Optional.of(api.uri());
    }

    /** The API's Unix domain socket (mode 0600), served while the API is. */
    public Path apiSocket() {
        return b.stateDir.resolve(AgentClient.SOCKET_FILE_NAME);
    }

    /** The token file the API's TCP clients read ({@link AgentClient#local}); written only with TCP on. */
    public Path tokenFile() {
        return b.stateDir.resolve(tokenFileName());
    }

    private static String tokenFileName() {
        return AgentClient.DEFAULT_TOKEN_FILE.getFileName().toString();
    }

    private void createStateDirectory() {
        try {
            Files.createDirectories(b.stateDir);
        } catch (IOException e) {
            throw new UncheckedIOException("create the state folder " + b.stateDir + ": " + e.getMessage(), e);
        }
    }

    /** A random token in a file only its owner (root) can read, replaced atomically. */
    private static String writeToken(Path file) {
        byte[] raw = new byte[24];
        new SecureRandom().nextBytes(raw);
        String token = HexFormat.of().formatHex(raw);
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), ".api-token", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                Files.writeString(tmp, token + "\n", StandardCharsets.UTF_8);
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("write the API token " + file + ": " + e.getMessage(), e);
        }
        return token;
    }

    /**
     * Stops sources, API and reconciler, then lets the dataplane go of its handles (if it holds
     * any). Programs keep running: a restarted agent adopts them.
     */
    @Override
    public synchronized void close() {
        for (AutoCloseable c : running) {
            try {
                c.close();
            } catch (Exception e) {
                // keep closing the rest
            }
        }
        running.clear();
        if (b.dataplane instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                // nothing left to do: the process's handles go when it exits
            }
        }
    }

    /** What an agent is made of; every setting has a default but the catalog and the dataplane. */
    public static final class Builder {
        private TemplateCatalog catalog;
        private Dataplane dataplane;
        private Path stateDir = DEFAULT_STATE_DIR;
        private Path specDir;
        private Duration rescan = DirectorySource.DEFAULT_RESCAN;
        private boolean api = true;
        private int apiPort = -1;
        private boolean apiToken = true;
        private KubernetesClient kubernetes;
        private PodProfiles podProfiles = PodProfiles.defaults();
        private String nodeName;
        private boolean nodeFieldSelector = true;
        private List<Cidr> hostCidrs = List.of();
        private ReconcilerOptions options = ReconcilerOptions.defaults();
        private MetricsProvider metrics = MetricsProvider.NONE;
        private FlowPipeline.Options flows;
        private FlowExport.Options flowExport;
        private int flowIdentityPairs = FlowMetrics.DEFAULT_MAX_PAIRS;
        private InetSocketAddress metricsListen;
        private DnsLearner.Options dns;
        private Netns dnsNodeNamespace = Netns.host();

        public Builder catalog(TemplateCatalog c) {
            this.catalog = Objects.requireNonNull(c, "catalog");
            return this;
        }

        public Builder dataplane(Dataplane d) {
            this.dataplane = Objects.requireNonNull(d, "dataplane");
            return this;
        }

        /** Identities, API specs and the API token live here; default {@code /run/kiln}. */
        public Builder stateDirectory(Path dir) {
            this.stateDir = dir.toAbsolutePath().normalize();
            return this;
        }

        /** Watch this spec directory (the embedded default); none by default. */
        public Builder specDirectory(Path dir, Duration rescanInterval) {
            this.specDir = dir;
            this.rescan = rescanInterval;
            return this;
        }

        /**
         * Whether the agent serves its local API (a source of specs, and status and metrics) on its
         * Unix domain socket {@code STATE/api.sock}, mode 0600; default true.
         */
        public Builder api(boolean serve) {
            this.api = serve;
            return this;
        }

        /**
         * Serve the API over TCP on 127.0.0.1:{@code port} too (0: any free port), every request with
         * the token; -1, the default, is no TCP: any local user can reach a loopback port.
         */
        public Builder apiPort(int port) {
            if (port < -1 || port > 65535) {
                throw new IllegalArgumentException("API port " + port + ": expected 0..65535, or -1 for none");
            }
            this.apiPort = port;
            return this;
        }

        /** Whether every request over TCP needs the token written to the state folder; default true. */
        public Builder apiToken(boolean required) {
            this.apiToken = required;
            return this;
        }

        /** Take endpoints, policies and services from Kubernetes too, for the node named {@code nodeName}. */
        public Builder kubernetes(KubernetesClient client, String nodeName) {
            return kubernetes(client, nodeName, true);
        }

        /**
         * {@link #kubernetes(KubernetesClient, String)}; {@code nodeFieldSelector} false lists every Pod and
         * filters here, for a server that cannot select on {@code spec.nodeName} (fabric8's mock).
         */
        public Builder kubernetes(KubernetesClient client, String nodeName, boolean nodeFieldSelector) {
            return kubernetes(client, nodeName, PodProfiles.defaults(), nodeFieldSelector);
        }

        /** {@link #kubernetes(KubernetesClient, String, boolean)} under the operator's profiles for Pods. */
        public Builder kubernetes(KubernetesClient client, String nodeName, PodProfiles profiles,
                                  boolean nodeFieldSelector) {
            this.podProfiles = Objects.requireNonNull(profiles, "profiles");
            this.kubernetes = Objects.requireNonNull(client, "client");
            this.nodeName = Objects.requireNonNull(nodeName, "nodeName");
            this.nodeFieldSelector = nodeFieldSelector;
            return this;
        }

        /** The node's own addresses: identity 1 (host) in the ipcache. */
        public Builder hostCidrs(List<Cidr> cidrs) {
            this.hostCidrs = List.copyOf(cidrs);
            return this;
        }

        public Builder reconcilerOptions(ReconcilerOptions o) {
            this.options = Objects.requireNonNull(o, "options");
            return this;
        }

        /** More metrics for {@code /metrics} (the dataplane's cache, clang and drop counters). */
        /** Reads the node's flow events (io.kiln.agent.flow) and serves them at {@code GET /v1/flows}. */
        public Builder flows(FlowPipeline.Options options) {
            this.flows = options;
            return this;
        }

        /** Writes every flow record to a JSON lines file too ({@link FlowExport}); needs {@link #flows}. */
        public Builder flowExport(FlowExport.Options options) {
            this.flowExport = options;
            return this;
        }

        /** Distinct identity pairs the flow metrics give series of their own ({@link FlowMetrics}). */
        public Builder flowIdentityPairs(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("flow identity pairs " + max + ": expected at least 1");
            }
            this.flowIdentityPairs = max;
            return this;
        }

        /** Serves {@code GET /metrics} alone, without a token, on this TCP address ({@link MetricsServer}); null: not. */
        public Builder metricsListen(InetSocketAddress address) {
            this.metricsListen = address;
            return this;
        }

        /**
         * Learns toFQDNs addresses from the DNS answers endpoints built with {@code dnsLearning=true}
         * hold (io.kiln.agent.fqdn), re-delivering them through the host-side veth, which lives in
         * the spec's namespace or, for a spec naming none, in {@code nodeNamespace}.
         */
        public Builder dnsLearning(DnsLearner.Options options, Netns nodeNamespace) {
            this.dns = Objects.requireNonNull(options, "options");
            this.dnsNodeNamespace = Objects.requireNonNull(nodeNamespace, "nodeNamespace");
            return this;
        }

        public Builder metrics(MetricsProvider m) {
            this.metrics = Objects.requireNonNull(m, "metrics");
            return this;
        }

        public Agent build() {
            Objects.requireNonNull(catalog, "catalog: the templates endpoints may name");
            Objects.requireNonNull(dataplane, "dataplane: the kernel side");
            if (!api && apiPort >= 0) {
                throw new IllegalStateException("an API port without the API: api(false) and apiPort(" + apiPort
                        + ")");
            }
            if (flowExport != null && flows == null) {
                throw new IllegalStateException("a flow export without flows: flowExport(" + flowExport.file()
                        + ") needs flows(...)");
            }
            if (specDir == null && !api && kubernetes == null) {
                throw new IllegalStateException("an agent needs at least one source: a spec directory, the API or"
                        + " Kubernetes");
            }
            return new Agent(this);
        }
    }
}
