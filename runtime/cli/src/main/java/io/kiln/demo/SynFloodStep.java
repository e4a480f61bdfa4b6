package io.kiln.demo;

import io.kiln.agent.api.AgentStatus;
import io.kiln.bpf.BpfMap;
import io.kiln.demo.DemoNetwork.Seat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The demo's policy-chain step: web's spec chains the syn_guard template before its dataplane;
 * a burst of SYNs from client is cut after the budget, while other traffic flows and the
 * dataplane's policy still decides what the guard passes on.
 */
final class SynFloodStep {
    static final String GUARD = "syn_guard";
    static final int BUDGET = 20;
    static final int BURST = 200;
    /** A window longer than the step: the budget is not given back while it runs. */
    static final int WINDOW_MS = 60_000;
    private static final int SYN_PASSED = 0;
    private static final int SYN_OVER_BUDGET = 1;

    private final LiveDemo demo;
    private final Narrator say;
    private final TemporaryAgent agent;
    private final DemoNetwork net;

    SynFloodStep(LiveDemo demo, Narrator say, TemporaryAgent agent, DemoNetwork net) {
        this.demo = demo;
        this.say = say;
        this.agent = agent;
        this.net = net;
    }

    /** Where the guard chained first on endpoint {@code id} pins its maps (position 0 of the chain). */
    static Path guardPins(TemporaryAgent agent, int id) {
        return agent.pins().root().resolve("chain/0/endpoints").resolve(Integer.toString(id));
    }

    void run() {
        Seat client = net.seat("client");
        Seat web = net.seat("web");
        Seat db = net.seat("db");
        say.step("Policy chain, live: web chains the syn_guard template before its dataplane (SYN_BUDGET "
                + BUDGET + " per source)");
        Map<String, Integer> before = agent.programIds(web.id());
        agent.specs().write("endpoints", "web", SpecFiles.withChain(
                LiveDemo.endpointYaml(net, web, Map.of(), LiveDemo.NEW_GATEWAY), GUARD,
                Map.of("SYN_BUDGET", BUDGET, "WINDOW_MS", WINDOW_MS)));
        // the chain's state is written once its programs are on the hook
        AgentStatus s = agent.await(st -> !agent.chainAttachments(web.id()).isEmpty(), LiveDemo.READY_TIMEOUT,
                "chain syn_guard on web");
        say.line("endpoints/web.yaml gained  chain: [{template: %s, constants: {SYN_BUDGET: %d, WINDOW_MS: %d}}]",
                GUARD, BUDGET, WINDOW_MS);
        say.line("%s runs first on web's hook, then web's dataplane (programs %s -> %s: respecialized)",
                agent.chainAttachments(web.id()), before.values(), s.endpoints().stream().filter(e -> e.id() == web.id())
                        .findFirst().map(e -> e.programIds().values().toString()).orElse("?"));

        long t0 = System.nanoTime();
        int connected = Sockets.tcpConnectBurst(client.netns(), web.ipv4(), LiveDemo.WEB_TCP, BURST, 500);
        long[] guard = counts(web.id());
        say.line("SYN flood client -> web:%d: %d connection attempts at once in %.0f ms, %d handshakes completed",
                LiveDemo.WEB_TCP, BURST, (System.nanoTime() - t0) / 1e6, connected);
        say.line("the guard passed on %d SYNs and dropped %d (SYN_OVER_BUDGET)", guard[SYN_PASSED],
                guard[SYN_OVER_BUDGET]);
        demo.check(connected == BUDGET, "client's burst is cut at the budget: " + connected + " of " + BURST
                + " connected, expected " + BUDGET);
        demo.check(guard[SYN_OVER_BUDGET] == BURST - BUDGET, "the guard dropped " + (BURST - BUDGET) + " SYNs (got "
                + guard[SYN_OVER_BUDGET] + ")");

        say.line("other traffic still flows, and web's dataplane still judges what the guard passes on:");
        int echoed = Sockets.udpExchange(client.netns(), web.ipv4(), LiveDemo.WEB_UDP, 5, LiveDemo.ALLOWED_WAIT_MILLIS);
        say.line("%-25s %-8s %d of 5 datagrams echoed (not SYNs: the guard hands them on)",
                String.format("%-6s -> %-4s UDP %d", "client", "web", LiveDemo.WEB_UDP),
                echoed == 5 ? "allowed" : "denied", echoed);
        demo.check(echoed == 5, "client -> web UDP still flows under the guard");
        demo.tcp(db, web, LiveDemo.WEB_TCP, false);
        long passedNow = counts(web.id())[SYN_PASSED];
        say.line("  (db's SYN was within db's own budget: the guard passed it on, %d passed now; web's policy denied it)",
                passedNow);
        demo.check(passedNow > guard[SYN_PASSED], "the guard passed db's SYN on to the dataplane");
        demo.tcp(client, web, LiveDemo.WEB_TCP, false);
        say.line("  (client's budget is spent for this %d s window: the guard drops its new SYN before policy)",
                WINDOW_MS / 1000);
    }

    /** The guard's per-CPU packet counters, summed: {SYN_PASSED, SYN_OVER_BUDGET}, from its declared reasons' slots. */
    private long[] counts(int id) {
        Path pin = guardPins(agent, id).resolve(io.kiln.templates.SynGuardBpf.DropReason.COUNTERS_MAP);
        io.kiln.templates.SynGuardBpf.DropReason[] reasons = {io.kiln.templates.SynGuardBpf.DropReason.SYN_PASSED,
                io.kiln.templates.SynGuardBpf.DropReason.SYN_OVER_BUDGET};
        long[] out = new long[2];
        try (BpfMap m = BpfMap.openPinned(pin)) {
            for (int r = 0; r < 2; r++) {
                // direction 0: packets the endpoint receives; the value's first u64 is packets
                byte[] key = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(reasons[r].slot(0)).array();
                List<byte[]> perCpu = m.lookupPerCpu(key).orElse(List.of());
                for (byte[] v : perCpu) {
                    out[r] += ByteBuffer.wrap(v).order(ByteOrder.nativeOrder()).getLong();
                }
            }
        }
        return out;
    }
}
