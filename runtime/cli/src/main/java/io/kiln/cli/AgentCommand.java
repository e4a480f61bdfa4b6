package io.kiln.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.kiln.agent.Agent;
import io.kiln.agent.api.MetricsProvider;
import io.kiln.agent.api.MetricsServer;
import io.kiln.agent.flow.FlowExport;
import io.kiln.agent.flow.FlowPipeline;
import io.kiln.agent.fqdn.DnsLearner;
import io.kiln.agent.dataplane.BundleObjectSource;
import io.kiln.agent.dataplane.KernelDataplane;
import io.kiln.agent.dataplane.ObjectSources;
import io.kiln.agent.k8s.PodProfiles;
import io.kiln.agent.reconcile.ReconcilerOptions;
import io.kiln.agent.source.DirectorySource;
import io.kiln.agent.spec.Cidr;
import io.kiln.agent.spec.TemplateCatalog;
import io.kiln.bpf.BpfFs;
import io.kiln.build.VariantBuilder;
import io.kiln.cache.ObjectStore;
import io.kiln.compile.ClangNotFoundException;
import io.kiln.runtime.AttachMode;
import io.kiln.host.Netns;
import io.kiln.runtime.PinLayout;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "agent", mixinStandardHelpOptions = true,
        description = {"Run the node agent until SIGTERM or SIGINT (root).",
                "Endpoints, policies and services from a spec directory, the local API and/or Kubernetes become",
                "specialized programs on their interfaces. Stopping it leaves every program running; a new agent",
                "adopts them without a reload. `kiln uninstall` removes everything."})
final class AgentCommand implements Callable<Integer> {
    @Option(names = "--spec-dir", paramLabel = "DIR",
            description = "Watch DIR/endpoints, DIR/policies and DIR/services (YAML or JSON, one spec a file).")
    Path specDir;

    @Option(names = "--state-dir", paramLabel = "DIR", description = "State folder: endpoint state, identities, API specs"
            + " and token, the names learned from DNS answers (fqdn.json, read back at start) (default: /run/kiln).")
    Path stateDir = Agent.DEFAULT_STATE_DIR;

    @Option(names = "--pin-root", paramLabel = "DIR", description = "bpffs folder of every pin (default: /sys/fs/bpf/kiln): under /sys/fs/bpf, or on a bpffs mounted already.")
    Path pinRoot = PinLayout.DEFAULT_ROOT;

    @Option(names = "--api-port", paramLabel = "N",
            description = "Serve the local API over TCP on 127.0.0.1:N too (0 picks a free one), every request with"
                    + " the token the agent writes to STATE/api-token. Default: no TCP; the API is on the Unix socket"
                    + " STATE/api.sock (mode 0600) only.")
    Integer apiPort;

    @Option(names = "--bundle", paramLabel = "JAR|DIR",
            description = "A bundle built by the Kiln Maven plugin (a jar, or a folder such as target/classes) to take"
                    + " objects from before the object store and clang (repeatable). Bundles on the class path are"
                    + " always used.")
    List<Path> bundlePaths = new ArrayList<>();

    @Option(names = "--no-api", description = "Run without the local API, its Unix socket included (then kiln status"
            + " cannot reach the agent).")
    boolean noApi;

    @Option(names = "--kubernetes", description = "Take Pods on this node and KilnPolicy/KilnService objects from the"
            + " API server (in-cluster config or ~/.kube/config).")
    boolean kubernetes;

    @Option(names = "--node-name", paramLabel = "NAME", description = "This node's name, as Pods' spec.nodeName says"
            + " (needed with --kubernetes).")
    String nodeName;

    @Option(names = "--profiles", paramLabel = "FILE", description = "The cluster operator's profiles for Pods (YAML:"
            + " templates, build parameters, node-wide sizes, the profiles each namespace may select; see"
            + " docs/agent.md). Default: every namespace, template endpoint with its defaults.")
    Path profiles;

    @Option(names = "--templates", paramLabel = "DIR", description = "A folder of templates (repeatable; default: the"
            + " checkout's bpf-templates/src/main/bpf).")
    List<Path> templates = new ArrayList<>();

    @Option(names = "--host-address", paramLabel = "CIDR", description = "One of the node's own addresses, identity"
            + " host in policies (repeatable).")
    List<String> hostAddresses = new ArrayList<>();

    @Option(names = "--node-netns", paramLabel = "NAME", description = "Network namespace of the interfaces of specs that"
            + " name none (default: the agent's own).")
    String nodeNetns;

    @Option(names = "--attach", paramLabel = "MODE", description = "tc attach mode: AUTO, TCX or LEGACY_TC"
            + " (default: ${DEFAULT-VALUE}). TCX or LEGACY_TC also moves endpoints found attached the other way at"
            + " start (the new kind first, then the old one off); AUTO keeps them as found.", defaultValue = "AUTO")
    AttachMode attachMode;

    @Option(names = "--no-tier0", description = "Bring new endpoints up on their specialized programs only (the path"
            + " before tiers). Default: an endpoint of a template with a tier 0 (the endpoint template) is attached to"
            + " the node-wide generic program at once, enforced, and its specialized program is swapped in behind it.")
    boolean noTier0;

    @Option(names = "--no-flows", description = "Do not read the node's flow events (kiln flows then has nothing to show).")
    boolean noFlows;

    @Option(names = "--flow-records", paramLabel = "N", defaultValue = "65536",
            description = "Recent flow records the agent keeps for kiln flows (default ${DEFAULT-VALUE}).")
    int flowRecords;

    @Option(names = "--flow-export", paramLabel = "FILE", description = "Also write every flow record to FILE, one JSON"
            + " object a line (the fields of kiln flows --json), for a log shipper; rotated to FILE.1.. at"
            + " --flow-export-max-size.")
    Path flowExport;

    @Option(names = "--flow-export-max-size", paramLabel = "MIB", defaultValue = "100",
            description = "Size of the flow export file at which it is rotated, in MiB (default ${DEFAULT-VALUE});"
                    + " 3 rotated files are kept.")
    long flowExportMaxMib;

    @Option(names = "--flow-identity-pairs", paramLabel = "N", defaultValue = "1024",
            description = "Distinct source/destination identity pairs the flow metrics give series of their own"
                    + " (default ${DEFAULT-VALUE}); later pairs count under identity \"overflow\".")
    int flowIdentityPairs;

    @Option(names = "--metrics-listen", paramLabel = "ADDRESS:PORT", description = "Also serve GET /metrics (only"
            + " that, no token) on this TCP address for Prometheus, e.g. 127.0.0.1:9962, or the node's address for a"
            + " scraper on another host. Off by default.")
    String metricsListen;

    @Option(names = "--no-dns-learning", description = "Do not read the DNS answers endpoints built with"
            + " dnsLearning=true hold (toFQDNs rules then learn nothing; those answers pass or drop per the"
            + " dataplane's fail mode, see --dns-fail-mode).")
    boolean noDnsLearning;

    @Option(names = "--dns-fail-mode", paramLabel = "MODE", defaultValue = "open",
            description = "What endpoints built with dnsLearning=true do with DNS answers while this agent is not"
                    + " reading them (stopped, or stuck for --dns-stale-after): open passes them unlearned, closed"
                    + " drops them (clients ask again). Default: ${DEFAULT-VALUE}.")
    String dnsFailMode;

    @Option(names = "--dns-stale-after", paramLabel = "MS", defaultValue = "2000",
            description = "Milliseconds without a heartbeat after which the dataplane counts the agent as down"
                    + " (default ${DEFAULT-VALUE}).")
    long dnsStaleAfterMs;

    @Option(names = "--fqdn-min-ttl", paramLabel = "SECONDS", defaultValue = "5",
            description = "The shortest time an address learned for a toFQDNs rule is kept, whatever the answer's"
                    + " TTL (default ${DEFAULT-VALUE}).")
    long fqdnMinTtl;

    @Option(names = "--parallelism", paramLabel = "N", description = "Endpoints regenerated at once (default: the"
            + " number of cores).")
    Integer parallelism;

    @Mixin
    CacheOptions cache;

    @Spec
    CommandSpec spec;

    private DnsLearner.Options dnsOptions() {
        if (!dnsFailMode.equals("open") && !dnsFailMode.equals("closed")) {
            throw new UsageException("--dns-fail-mode", "--dns-fail-mode " + dnsFailMode + ": expected open or closed");
        }
        if (dnsStaleAfterMs < 200 || dnsStaleAfterMs > 600_000) {
            throw new UsageException("--dns-stale-after", "--dns-stale-after " + dnsStaleAfterMs
                    + ": expected 200..600000 milliseconds");
        }
        if (fqdnMinTtl < 0 || fqdnMinTtl > 86_400) {
            throw new UsageException("--fqdn-min-ttl", "--fqdn-min-ttl " + fqdnMinTtl + ": expected 0..86400 seconds");
        }
        Duration stale = Duration.ofMillis(dnsStaleAfterMs);
        return DnsLearner.Options.of(new PinLayout(pinRoot).nodeDir(), dnsFailMode.equals("closed"))
                .withStaleAfter(stale, stale.dividedBy(8)).withMinTtl(Duration.ofSeconds(fqdnMinTtl));
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        checkOptions();
        // before anything is loaded: a bad file changes nothing
        PodProfiles podProfiles = profiles == null ? PodProfiles.defaults() : PodProfiles.read(profiles);
        TemplateCatalog catalog = catalog();
        ObjectSources objects = objects(out);
        KernelDataplane dataplane = KernelDataplane.builder().pinRoot(pinRoot).stateDirectory(stateDir)
                .attachMode(attachMode).objects(objects).tier0(!noTier0).templates(catalog::find)
                .nodeNamespace(nodeNetns == null ? Netns.host() : Netns.named(nodeNetns)).build();
        ReconcilerOptions options = ReconcilerOptions.defaults();
        Agent.Builder b = Agent.builder().catalog(catalog).dataplane(dataplane).stateDirectory(stateDir)
                .api(!noApi).apiPort(apiPort == null ? -1 : apiPort).hostCidrs(hostCidrs())
                .reconcilerOptions(parallelism == null ? options : options.withParallelism(parallelism))
                .metrics(MetricsProvider.of(List.of(dataplane.metrics())));
        if (!noFlows) {
            b.flows(new FlowPipeline.Options(new PinLayout(pinRoot).nodeDir(), flowRecords, FlowPipeline.Options.DEFAULT_QUEUE,
                    FlowPipeline.Options.DEFAULT_EXPIRY_SCAN)).flowIdentityPairs(flowIdentityPairs);
            if (flowExport != null) {
                b.flowExport(new FlowExport.Options(flowExport, flowExportMaxMib << 20, FlowExport.Options.DEFAULT_KEEP));
            }
        }
        if (metricsListen != null) {
            b.metricsListen(MetricsServer.address(metricsListen));
        }
        if (!noDnsLearning) {
            b.dnsLearning(dnsOptions(), nodeNetns == null ? Netns.host() : Netns.named(nodeNetns));
        }
        if (specDir != null) {
            b.specDirectory(specDir, DirectorySource.DEFAULT_RESCAN);
        }
        KubernetesClient k8s = null;
        if (kubernetes) {
            k8s = new KubernetesClientBuilder().build();
            b.kubernetes(k8s, nodeName, podProfiles, true);
        }
        Agent agent;
        try {
            agent = b.build().start();
        } catch (RuntimeException e) {
            if (k8s != null) {
                k8s.close();
            }
            throw e;
        }
        AgentProgress progress = new AgentProgress(agent, out);
        out.printf("kiln agent: templates %s; objects from %s%n", String.join(", ", catalog.names()),
                String.join(", then ", objects.describe()));
        out.printf("kiln agent: adopted %d endpoint(s) from %s%n", dataplane.adopted(), pinRoot);
        if (!noApi) {
            out.println("kiln agent: API at unix:" + agent.apiSocket() + " (mode 0600)" + agent.apiUri()
                    .map(u -> " and " + u + " (token in " + agent.tokenFile() + ")").orElse(""));
        }
        agent.metricsServer().ifPresent(m -> out.println("kiln agent: metrics at " + m.uri() + " (no token)"));
        if (flowExport != null) {
            out.println("kiln agent: flow records to " + flowExport + " (JSON lines)");
        }
        out.flush();
        KubernetesClient client = k8s;
        CountDownLatch stopped = new CountDownLatch(1);
        // SIGTERM and SIGINT run shutdown hooks: the agent stops there, and this thread, waiting, never returns
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            shutdown(agent, progress, client, out);
            stopped.countDown();
        }, "kiln-agent-shutdown"));
        progress.start();
        stopped.await();
        return 0;
    }

    private static void shutdown(Agent agent, AgentProgress progress, KubernetesClient k8s, PrintWriter out) {
        progress.close();
        agent.close();
        if (k8s != null) {
            k8s.close();
        }
        out.println("kiln agent: stopped; every program keeps running (kiln uninstall removes them)");
        out.flush();
    }

    private void checkOptions() {
        dnsOptions(); // a bad --dns-* option is a usage error before anything loads
        if (flowRecords < 1) {
            throw new UsageException("--flow-records", "--flow-records " + flowRecords + ": expected at least 1");
        }
        if (flowExport != null && noFlows) {
            throw new UsageException("--flow-export", "--flow-export writes flow records; it cannot go with --no-flows");
        }
        if (flowExport != null && (flowExport.getParent() != null && !Files.isDirectory(flowExport.getParent()))) {
            throw new UsageException("--flow-export", "flow export " + flowExport + ": folder " + flowExport.getParent()
                    + " does not exist");
        }
        if (flowExportMaxMib < 1 || flowExportMaxMib > (1L << 20)) {
            throw new UsageException("--flow-export-max-size", "--flow-export-max-size " + flowExportMaxMib
                    + ": expected 1..1048576 (MiB)");
        }
        if (flowIdentityPairs < 1) {
            throw new UsageException("--flow-identity-pairs", "--flow-identity-pairs " + flowIdentityPairs
                    + ": expected at least 1");
        }
        if (metricsListen != null) {
            try {
                MetricsServer.address(metricsListen);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--metrics-listen", "--metrics-listen " + e.getMessage());
            }
        }
        if (kubernetes && (nodeName == null || nodeName.isBlank())) {
            throw new UsageException("--node-name", "--kubernetes needs --node-name (the Pods'"
                    + " spec.nodeName on this node; in a DaemonSet: --node-name=$(NODE_NAME))");
        }
        if (!kubernetes && profiles != null) {
            throw new UsageException("--profiles", "--profiles is for --kubernetes");
        }
        if (!kubernetes && nodeName != null) {
            throw new UsageException("--node-name", "--node-name is for --kubernetes");
        }
        if (specDir != null && !Files.isDirectory(specDir)) {
            throw new UsageException("--spec-dir", "spec directory " + specDir + " does not exist");
        }
        if (apiPort != null && (apiPort < 0 || apiPort > 65535)) {
            throw new UsageException("--api-port", "port " + apiPort + ": expected 0..65535");
        }
        if (apiPort != null && noApi) {
            throw new UsageException("--api-port", "--api-port serves the API over TCP; it cannot go with --no-api");
        }
        if (noApi && specDir == null && !kubernetes) {
            throw new UsageException("--no-api", "without the API the agent needs --spec-dir or"
                    + " --kubernetes");
        }
        Path root = pinRoot.toAbsolutePath().normalize();
        if (!root.startsWith(BpfFs.DEFAULT) && !BpfFs.isOnBpffs(root)) {
            // found now, not as every endpoint's failure in an agent that would run on doing nothing
            throw new UsageException("--pin-root", "pin root " + pinRoot + " is not on a bpffs and not under "
                    + BpfFs.DEFAULT + ": choose a root under " + BpfFs.DEFAULT + ", or mount one there first (mount -t bpf"
                    + " bpf " + pinRoot + "); Kiln does not mount over other folders");
        }
        if (parallelism != null && parallelism < 1) {
            throw new UsageException("--parallelism", "expected at least 1, got " + parallelism);
        }
    }

    private TemplateCatalog catalog() {
        List<Path> roots = new ArrayList<>(templates);
        if (roots.isEmpty()) {
            roots.add(KilnHome.dir().resolve("bpf-templates/src/main/bpf"));
        }
        for (Path r : roots) {
            if (!Files.isDirectory(r)) {
                throw new UsageException("--templates", "template folder " + r + " does not exist;"
                        + " pass --templates DIR (or run kiln from its checkout)");
            }
        }
        return TemplateCatalog.scan(roots);
    }

    /** Bundles first (class path and --bundle), then the object store, then clang if this node has it. */
    private ObjectSources objects(PrintWriter out) {
        ObjectStore store = ObjectStore.trusted(cache.storeDir(), VariantBuilder.DEFAULT_STORE_BYTES);
        VariantBuilder compiler = null;
        try {
            compiler = cache.builder();
        } catch (ClangNotFoundException e) {
            if (cache.clang != null) {
                throw e;
            }
            out.println("kiln agent: no clang on this node (" + e.getMessage() + "); only variants in bundles or the"
                    + " object store can run");
        }
        BundleObjectSource bundles = BundleObjectSource.of(AgentCommand.class.getClassLoader(), bundlePaths);
        if (!bundles.bundles().isEmpty()) {
            out.println("kiln agent: " + bundles.bundles().size() + " bundle(s): " + bundles.bundles());
        }
        return ObjectSources.builder().bundles(bundles).store(store).compiler(compiler).build();
    }

    private List<Cidr> hostCidrs() {
        List<Cidr> out = new ArrayList<>();
        for (String a : hostAddresses) {
            try {
                out.add(Cidr.parse(a.contains("/") ? a : a + (a.contains(":") ? "/128" : "/32")));
            } catch (RuntimeException e) {
                throw new UsageException("--host-address", "'" + a + "': " + e.getMessage());
            }
        }
        return out;
    }

}
