package io.kiln.demo;

import io.kiln.agent.api.AgentStatus;
import io.kiln.agent.api.EndpointStatus;
import io.kiln.agent.dataplane.ObjectSources;
import io.kiln.agent.spec.TemplateCatalog;
import io.kiln.demo.DemoNetwork.Seat;
import io.kiln.lab.UdpFlow;
import io.kiln.templates.EndpointBpf.DropReason;
import io.kiln.templates.EndpointDefines;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The live dataplane demo ({@code kiln demo}): a node of network namespaces, the agent in this
 * process on a spec directory, real traffic allowed and denied, a policy changed as a map write,
 * a constant changed by a hot swap under a continuous flow, a build parameter changed into a new
 * variant compiled once, the figures, and everything removed again.
 */
public final class LiveDemo {
    static final int WEB_TCP = 8080;
    static final int WEB_UDP = 5353;
    static final int FLOW_UDP = 7000;
    static final int DB_TCP = 5432;
    /** Outside the endpoints' /24, so that it is reached through the gateway (whose ARP the dataplane answers). */
    static final String SERVICE_VIP = "198.18.100.1";
    static final int SERVICE_PORT = 80;
    static final String NEW_GATEWAY = "198.18.0.254";
    static final int ALLOWED_WAIT_MILLIS = 2000;
    static final int DENIED_WAIT_MILLIS = 400;
    private static final int FLOW_RATE = 5000;
    static final Duration READY_TIMEOUT = Duration.ofMinutes(2);
    /** endpoint (default), syn_guard (chained), endpoint with policyMode=audit. */
    private static final int VARIANTS = 3;

    /**
     * What the demo did, for its test: where it put things (all gone after it), every program id it
     * saw, and what did not go as the demo expected.
     */
    public record Report(List<String> namespaces, Path pinRoot, Path stateBase, Set<Integer> programIds,
                         UdpFlow.Result flow, long clangRuns, int variants, List<String> surprises,
                         List<String> cleanupFailures) {
    }

    private final Narrator say;
    private final TemplateCatalog catalog;
    private final List<String> surprises = new ArrayList<>();
    private final Set<Integer> programIds = new TreeSet<>();
    private final Map<String, Long> regenerationMillis = new LinkedHashMap<>();

    private LiveDemo(PrintWriter out, TemplateCatalog catalog) {
        this.say = new Narrator(out);
        this.catalog = catalog;
    }

    /** Runs the whole demo, cleaning up also on failure and on Ctrl-C. Needs root. */
    public static Report run(PrintWriter out, TemplateCatalog catalog) {
        return new LiveDemo(out, catalog).run();
    }

    private Report run() {
        long start = System.nanoTime();
        List<Seat> cast = List.of(Seat.of("client", 11), Seat.of("web", 12), Seat.of("db", 13));
        say.plain("kiln demo: the agent and its dataplane, live, on network namespaces of their own"
                + " (198.18.0.0/24).");
        List<String> namespaces = List.of();
        Path pinRoot = null;
        Path base = null;
        UdpFlow.Result flow = null;
        long clangRuns;
        List<String> cleanupFailures;
        PrintWriter log = new PrintWriter(System.err, true);
        try (Cleanup cleanup = new Cleanup(log)) {
            say.step("A node: one namespace for the host side, one per endpoint, joined by veths");
            DemoNetwork net = DemoNetwork.create("demo", cast);
            cleanup.add("delete the namespaces", net::close);
            namespaces = net.namespaceNames();
            say.line("node namespace %s", net.node().name());
            for (Seat s : net.seats()) {
                say.line("%-6s %-11s eth0 in %s <-> %s", s.name(), s.ipv4(), s.namespace().name(), s.hostIf());
            }

            say.step("The agent, in this process, on an empty spec directory");
            TemporaryAgent agent = TemporaryAgent.create("demo", catalog, 2);
            pinRoot = agent.pins().root();
            base = agent.base();
            cleanup.add("remove programs, links, pins and files", agent::uninstall);
            cleanup.add("stop the agent", agent::close);
            agent.start();
            say.line("specs   %s", agent.specs().dir());
            say.line("pins    %s", agent.pins().root());
            say.line("state   %s", agent.base());
            say.line("templates: %s", String.join(", ", catalog.names()));

            Sockets sockets = new Sockets(ALLOWED_WAIT_MILLIS);
            cleanup.add("close the sockets", sockets::close);
            writeSpecsAndWait(agent, net);
            traffic(agent, net, sockets);
            policyChange(agent, net);
            flow = constantChange(agent, net);
            new SynFloodStep(this, say, agent, net).run();
            variantChange(agent, net);
            check(!Files.exists(SynFloodStep.guardPins(agent, net.seat("web").id())),
                    "web's chain is gone with its spec's chain: entry");
            say.line("web's spec has no chain: any more: its guard was detached and its pins removed");
            clangRuns = figures(agent);

            say.step("Clean up: stop the agent, detach, remove pins, delete the namespaces");
            cleanupFailures = cleanup.runAll();
            check(!Files.exists(pinRoot), "pin root " + pinRoot + " is gone");
            check(!Files.exists(base), "state folder " + base + " is gone");
            for (String ns : namespaces) {
                check(!Files.exists(Path.of("/run/netns", ns)), "namespace " + ns + " is gone");
            }
            say.line(cleanupFailures.isEmpty() ? "done: nothing of the demo is left" : "with failures: %s",
                    cleanupFailures);
        } catch (RuntimeException e) {
            throw e instanceof io.kiln.KilnException ? e : new DemoException("demo: " + e.getMessage(), e);
        }
        say.plain("");
        say.plain(String.format("kiln demo: %s in %.1f s", surprises.isEmpty() ? "done" : "FAILED", seconds(start)));
        if (!surprises.isEmpty()) {
            say.plain("");
            say.plain("Not as expected:");
            surprises.forEach(s -> say.line("%s", s));
        }
        return new Report(namespaces, pinRoot, base, programIds, flow, clangRuns, VARIANTS, surprises,
                cleanupFailures);
    }

    // ---- 3: specs in, programs out ----

    private void writeSpecsAndWait(TemporaryAgent agent, DemoNetwork net) {
        say.step("Specs: 3 endpoints, 2 policies (web admits client; db admits web), 1 service");
        long t0 = System.nanoTime();
        for (Seat s : net.seats()) {
            agent.specs().write("endpoints", s.name(), endpointYaml(net, s, Map.of(), "198.18.0.1"));
        }
        agent.specs().write("policies", "web", SpecFiles.ingressPolicy("web", "web", List.of("client"),
                List.of(WEB_TCP + "/TCP", WEB_UDP + "/UDP", FLOW_UDP + "/UDP")));
        agent.specs().write("policies", "db", dbPolicy(List.of("web")));
        agent.specs().write("services", "web", SpecFiles.service("web", SERVICE_VIP, SERVICE_PORT,
                List.of(net.seat("web").ipv4() + ":" + WEB_TCP)));
        say.line("wrote endpoints/{client,web,db}.yaml, policies/{web,db}.yaml, services/web.yaml");
        say.line("(service web: %s:%d -> web:%d)", SERVICE_VIP, SERVICE_PORT, WEB_TCP);
        AgentStatus s = agent.await(st -> st.ready() == 3 && st.node() == EndpointStatus.State.READY, READY_TIMEOUT,
                "bring up 3 endpoints");
        say.line("3 of 3 ready in %.1f s; clang runs: %d (the variant they share)", seconds(t0),
                agent.objects().clangRuns());
        for (EndpointStatus e : s.endpoints()) {
            programIds.addAll(e.programIds().values());
            regenerationMillis.put("CREATE " + e.id(), e.lastRegenerationMillis());
            say.line("  endpoint %d %-6s identity %d, programs %s, variant %s, %d ms", e.id(), name(net, e.id()),
                    e.identity(), ids(e.programIds()), shortKey(e.variantKey()), e.lastRegenerationMillis());
        }
    }

    // ---- 4, 5: traffic and counters ----

    private void traffic(TemporaryAgent agent, DemoNetwork net, Sockets sockets) {
        Seat client = net.seat("client");
        Seat web = net.seat("web");
        Seat db = net.seat("db");
        sockets.tcpEcho(web.netns(), WEB_TCP, "web");
        sockets.udpEcho(web.netns(), WEB_UDP, "web");
        sockets.tcpEcho(db.netns(), DB_TCP, "db");
        Map<Integer, Counters> before = counters(agent, net);

        say.step("Traffic: real TCP and UDP between the endpoints' namespaces");
        tcp(client, web, WEB_TCP, true);
        String viaService = Sockets.tcpRequest(client.netns(), SERVICE_VIP, SERVICE_PORT, "hello", ALLOWED_WAIT_MILLIS);
        say.line("%-25s %-8s %s", String.format("client -> %s:%d", SERVICE_VIP, SERVICE_PORT),
                viaService != null ? "allowed" : "denied", viaService != null ? "answer \"" + viaService
                        + "\" (the service's backend)" : "no connection");
        check("web hello".equals(viaService), "client reaches web through the service address");
        int echoed = Sockets.udpExchange(client.netns(), web.ipv4(), WEB_UDP, 5, ALLOWED_WAIT_MILLIS);
        say.line("%-25s %-8s %d of 5 datagrams echoed", String.format("%-6s -> %-4s UDP %d", "client", "web", WEB_UDP),
                echoed > 0 ? "allowed" : "denied", echoed);
        check(echoed == 5, "client -> web UDP: 5 echoes");
        tcp(web, db, DB_TCP, true);
        tcp(client, db, DB_TCP, false);
        tcp(db, web, WEB_TCP, false);

        say.step("Counters: packets by verdict, read from each endpoint's metrics map");
        say.line("(ingress: what the endpoint received; egress: what it sent)");
        for (Seat s : net.seats()) {
            Counters c = Counters.read(agent.pins(), s.id()).since(before.get(s.id()));
            say.line("%-6s %s", s.name(), format(c));
        }
        Counters dbNow = Counters.read(agent.pins(), db.id()).since(before.get(db.id()));
        check(dbNow.get(EndpointDefines.DIR_INGRESS, DropReason.POLICY_DENIED) > 0, "db counted client's denied SYNs");
    }

    void tcp(Seat from, Seat to, int port, boolean expectAllowed) {
        String answer = Sockets.tcpRequest(from.netns(), to.ipv4(), port, "hello",
                expectAllowed ? ALLOWED_WAIT_MILLIS : DENIED_WAIT_MILLIS);
        boolean allowed = answer != null;
        String what = String.format("%-6s -> %-4s TCP %d", from.name(), to.name(), port);
        say.line("%-25s %-8s %s", what, allowed ? "allowed" : "denied",
                allowed ? "answer \"" + answer + "\"" : "no connection within " + DENIED_WAIT_MILLIS + " ms");
        check(allowed == expectAllowed, what + " " + (expectAllowed ? "allowed" : "denied"));
    }

    // ---- 6: a policy change is a map write ----

    private void policyChange(TemporaryAgent agent, DemoNetwork net) {
        Seat db = net.seat("db");
        say.step("Policy change, live: db admits client too (policies/db.yaml edited)");
        Map<String, Integer> programsBefore = agent.programIds(db.id());
        long writesBefore = mapWrites(agent);
        long t0 = System.nanoTime();
        agent.specs().write("policies", "db", dbPolicy(List.of("web", "client")));
        agent.await(st -> "STATE_ONLY".equals(lastChange(st, db.id())), READY_TIMEOUT, "apply db's new policy");
        double millis = (System.nanoTime() - t0) / 1e6;
        Map<String, Integer> programsAfter = agent.programIds(db.id());
        say.line("applied %.0f ms after the file changed, as %d map write(s), no reload", millis,
                mapWrites(agent) - writesBefore);
        say.line("db's programs: %s before, %s after: %s", ids(programsBefore), ids(programsAfter),
                programsBefore.equals(programsAfter) ? "unchanged" : "CHANGED");
        check(programsBefore.equals(programsAfter), "db's program ids unchanged by a policy change");
        tcp(net.seat("client"), db, DB_TCP, true);
    }

    // ---- 7: a constant change is a hot swap ----

    private UdpFlow.Result constantChange(TemporaryAgent agent, DemoNetwork net) {
        Seat client = net.seat("client");
        Seat web = net.seat("web");
        say.step("Constant change, live: web's GATEWAY_IPV4 198.18.0.1 -> " + NEW_GATEWAY + " (hot swap)");
        Map<String, Integer> before = agent.programIds(web.id());
        long clangBefore = agent.objects().clangRuns();
        UdpFlow.Result result;
        try (UdpFlow flow = UdpFlow.start(client.netns(), web.netns(), new InetSocketAddress(web.ipv4(), FLOW_UDP),
                FLOW_RATE, 60L * FLOW_RATE, Duration.ofSeconds(60))) {
            if (!flow.awaitReceived(100, Duration.ofSeconds(5))) {
                throw new DemoException("demo: the UDP flow client -> web:" + FLOW_UDP + " does not pass ("
                        + flow.receivedSoFar() + " of " + flow.sentSoFar() + " arrived)");
            }
            say.line("a continuous UDP flow client -> web:%d runs, %d datagrams/s, numbered", FLOW_UDP, FLOW_RATE);
            agent.specs().write("endpoints", "web", endpointYaml(net, web, Map.of(), NEW_GATEWAY));
            AgentStatus s = agent.await(st -> "CONSTANTS".equals(lastChange(st, web.id())), READY_TIMEOUT,
                    "swap web's programs");
            sleep(300); // traffic after the swap too
            result = flow.stop();
            EndpointStatus e = endpoint(s, web.id());
            programIds.addAll(e.programIds().values());
            regenerationMillis.put("CONSTANTS " + web.id(), e.lastRegenerationMillis());
            say.line("swapped in %d ms: programs %s -> %s, clang runs: %d", e.lastRegenerationMillis(), ids(before),
                    ids(e.programIds()), agent.objects().clangRuns() - clangBefore);
            check(!before.equals(e.programIds()), "web runs new programs after the constant change");
        }
        say.line("the flow: %d sent, %d received, %d lost, %d duplicated", result.sent(), result.received(),
                result.missing(), result.duplicated());
        check(result.missing() == 0 && result.duplicated() == 0, "no datagram lost or duplicated across the swap");
        RodataReader.constant(agent.programIds(web.id()).values(), "GATEWAY_IPV4").ifPresent(v ->
                say.line("the new program's .rodata (bpftool): GATEWAY_IPV4 = %s", v));
        return result;
    }

    // ---- 8: a build parameter change is a new variant ----

    private void variantChange(TemporaryAgent agent, DemoNetwork net) {
        Seat web = net.seat("web");
        Seat db = net.seat("db");
        say.step("Build parameter change: web and db to policyMode=audit (a new variant, compiled once)");
        long clangBefore = agent.objects().clangRuns();
        long t0 = System.nanoTime();
        agent.specs().write("endpoints", "web", endpointYaml(net, web, Map.of("policyMode", "audit"), NEW_GATEWAY));
        agent.specs().write("endpoints", "db", endpointYaml(net, db, Map.of("policyMode", "audit"), "198.18.0.1"));
        AgentStatus s = agent.await(st -> "VARIANT".equals(lastChange(st, web.id()))
                && "VARIANT".equals(lastChange(st, db.id())), READY_TIMEOUT, "rebuild web and db");
        long clang = agent.objects().clangRuns() - clangBefore;
        EndpointStatus w = endpoint(s, web.id());
        EndpointStatus d = endpoint(s, db.id());
        programIds.addAll(w.programIds().values());
        programIds.addAll(d.programIds().values());
        regenerationMillis.put("VARIANT " + web.id(), w.lastRegenerationMillis());
        regenerationMillis.put("VARIANT " + db.id(), d.lastRegenerationMillis());
        say.line("both running in %.1f s; clang runs: %d; variant %s for both", seconds(t0), clang,
                shortKey(w.variantKey()));
        check(clang == 1, "one clang run for the new variant shared by web and db (got " + clang + ")");
        check(w.variantKey() != null && w.variantKey().equals(d.variantKey()), "web and db share the new variant");
        Counters before = Counters.read(agent.pins(), web.id());
        tcp(db, web, WEB_TCP, true);
        long audited = Counters.read(agent.pins(), web.id()).since(before).get(EndpointDefines.DIR_INGRESS,
                DropReason.POLICY_AUDIT);
        say.line("db -> web is still not in web's policy: web let it pass and counted %d POLICY_AUDIT", audited);
        check(audited > 0, "web counts audited packets");
    }

    // ---- 9: figures ----

    private long figures(TemporaryAgent agent) {
        say.step("Cache and regeneration figures");
        ObjectSources o = agent.objects();
        say.line("variants built %d, clang runs %d, objects served without clang %d, compiled %d",
                VARIANTS, o.clangRuns(), o.hits(), o.misses());
        check(o.clangRuns() == VARIANTS, "clang runs (" + o.clangRuns() + ") equal the variants (" + VARIANTS + ")");
        say.line("regenerations (each loads an object, specializes it, attaches or swaps):");
        regenerationMillis.forEach((what, ms) -> say.line("  %-12s %5d ms", what, ms));
        say.line("%d programs were loaded in all; the replaced ones are unloaded already", programIds.size());
        return o.clangRuns();
    }

    // ---- helpers ----

    static String endpointYaml(DemoNetwork net, Seat s, Map<String, String> build, String gateway) {
        return SpecFiles.endpoint(s.id(), s.hostIf(), net.node().name(), s.ipv4(), s.mac(), Map.of("app", s.name()),
                build, Map.of("GATEWAY_IPV4", gateway));
    }

    private static String dbPolicy(List<String> from) {
        return SpecFiles.ingressPolicy("db", "db", from, List.of(DB_TCP + "/TCP"));
    }

    private static Map<Integer, Counters> counters(TemporaryAgent agent, DemoNetwork net) {
        Map<Integer, Counters> m = new LinkedHashMap<>();
        net.seats().forEach(s -> m.put(s.id(), Counters.read(agent.pins(), s.id())));
        return m;
    }

    private static String format(Counters c) {
        if (c.packets().isEmpty()) {
            return "(nothing)";
        }
        List<String> parts = new ArrayList<>();
        c.packets().forEach((k, v) -> parts.add(k + " " + v));
        return String.join(", ", parts);
    }

    private static long mapWrites(TemporaryAgent agent) {
        return (long) agent.agent().reconciler().sum(io.kiln.agent.api.AgentMetrics.MAP_OPS,
                java.util.Map.of("scope", "endpoint"));
    }

    static String lastChange(AgentStatus s, int id) {
        return s.endpoints().stream().filter(e -> e.id() == id).map(EndpointStatus::lastChange).findFirst().orElse(null);
    }

    private static EndpointStatus endpoint(AgentStatus s, int id) {
        return s.endpoints().stream().filter(e -> e.id() == id).findFirst()
                .orElseThrow(() -> new DemoException("demo: endpoint " + id + " is not in the agent's status"));
    }

    private static String name(DemoNetwork net, int id) {
        return net.seats().stream().filter(s -> s.id() == id).map(Seat::name).findFirst().orElse("?");
    }

    private static String ids(Map<String, Integer> programs) {
        List<String> parts = new ArrayList<>();
        new java.util.TreeMap<>(programs).forEach((k, v) -> parts.add(String.valueOf(v))); // from_, to_endpoint
        return String.join("/", parts);
    }

    private static String shortKey(String key) {
        return key == null ? "-" : key.substring(0, Math.min(12, key.length()));
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    void check(boolean ok, String expectation) {
        if (!ok) {
            surprises.add(expectation);
            say.line("!! expected: %s", expectation);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
