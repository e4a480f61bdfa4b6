package io.kiln.agent.dataplane;

import io.kiln.agent.Agent;
import io.kiln.agent.fqdn.DnsLearner;
import io.kiln.agent.fqdn.FqdnCache;
import io.kiln.cli.CliRuns;
import io.kiln.lab.Command;
import io.kiln.lab.NetworkNamespace;
import io.kiln.runtime.PinLayout;
import io.kiln.templates.DnsEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Type;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DNS-aware policy end to end with a real resolver: dnsmasq in a namespace of the test's own
 * ("outside" the node, routed through the node namespace) serves a zone on 198.18.0.0/15; client
 * endpoint 1 (dnsLearning=true) may reach the resolver on UDP 53 and {@code api.example.test} and
 * {@code n*.example.test} on TCP 8080 by toFQDNs. Lookups with {@code dig} and with a UDP socket
 * followed at once by a connect; the agent stopped, fail-open and fail-closed.
 */
class DnsLearningKernelTest {
    private static final String RESOLVER = "198.18.1.53";
    private static final String API = "198.18.1.10";
    private static final String OTHER = "198.18.1.11";
    private static final int PORT = 8080;
    private static final int RACE = 200;

    /** The outside: dnsmasq with the zone, and a TCP listener on every address; answers live {@code ttl} seconds. */
    private static DnsOutside outside(AgentLab lab, Path tmp, int ttl) throws Exception {
        List<String> zone = new ArrayList<>(List.of("--local-ttl=" + ttl,
                "--host-record=api.example.test," + API, "--host-record=other.example.test," + OTHER));
        for (int i = 1; i <= RACE; i++) {
            zone.add("--host-record=n" + i + ".example.test,198.18.2." + i);
        }
        return DnsOutside.builder("dnsext", tmp).resolver(RESOLVER).address(API, OTHER)
                .routed("198.18.2.0/24") // the race's names: 198.18.2.x
                .endpoint(1).dnsmasq(zone).listener(PORT, false)
                .awaitAnswer(RESOLVER, "api.example.test", API).start(lab);
    }

    private static DnsOutside outside(AgentLab lab, Path tmp) throws Exception {
        return outside(lab, tmp, 30);
    }

    /** {@code dig +short} from the namespace: the answer's addresses, or "" (no answer within 1 s). */
    static String dig(NetworkNamespace ns, String name) {
        Command.Result r = ns.exec(List.of("dig", "+short", "+time=1", "+tries=1", "@" + RESOLVER, name));
        return r.exitCode() == 0 ? r.stdout().trim() : "";
    }

    /** A TCP connect from endpoint 1 that reads the listener's byte: true if it got it within 1 s. */
    static boolean connects(AgentLab lab, String address) throws Exception {
        return DnsClient.connects(lab.ns(1), address, PORT);
    }

    private static void specs(AgentLab lab) throws Exception {
        lab.writeSpec("endpoints", "client.yaml", lab.endpointYaml(1, "{app: client}")
                + "build: { dnsLearning: true }\n");
        lab.writeSpec("policies", "client.yaml", """
                name: client-egress
                endpointSelector: { matchLabels: { app: client } }
                egress:
                  - toCIDR: [ 198.18.1.53/32 ]
                    toPorts: [ { port: 53, protocol: UDP } ]
                  - toFQDNs: [ { matchName: api.example.test }, { matchPattern: "n*.example.test" } ]
                    toPorts: [ { port: 8080, protocol: TCP } ]
                """);
    }

    private static Agent start(AgentLab lab, boolean failClosed) throws Exception {
        return start(lab, DnsLearner.Options.of(new PinLayout(lab.pinRoot).nodeDir(), failClosed));
    }

    private static Agent start(AgentLab lab, DnsLearner.Options options) throws Exception {
        return lab.startDnsLearning(options.withStaleAfter(Duration.ofMillis(1000), Duration.ofMillis(100)), 1);
    }

    /** What to look at when an answer did not come. */
    static String diagnose(AgentLab lab, DnsOutside out, DnsLearner l) {
        StringBuilder b = new StringBuilder("\n-- learner: ");
        b.append(l.dataplaneStats()).append(" redelivered ").append(l.redelivered()).append(" reading ")
                .append(l.reading()).append(" last error ").append(l.lastError());
        for (String[] c : new String[][] {{"ip", "-s", "link"}, {"ip", "route"}, {"ip", "neigh"}}) {
            b.append("\n-- node: ").append(String.join(" ", c)).append('\n')
                    .append(lab.node.exec(List.of(c)).stdout());
        }
        b.append("\n-- outside: ip -s link\n").append(out.ns.exec(List.of("ip", "-s", "link")).stdout());
        b.append("\n-- client: ip -s link\n").append(lab.ns(1).exec(List.of("ip", "-s", "link")).stdout());
        b.append("\n-- client: ip neigh\n").append(lab.ns(1).exec(List.of("ip", "neigh")).stdout());
        return b.toString();
    }

    private static long stat(DnsLearner l, DnsEvent.Stat s) {
        return l.dataplaneStats().getOrDefault(s, 0L);
    }

    @Test
    void anAllowedNameConnectsTheMomentItsAnswerArrivesAndAnotherNameDoesNot(@TempDir Path tmp) throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1); DnsOutside out = outside(lab, tmp)) {
            specs(lab);
            Agent agent = start(lab, false);
            DnsLearner learner = agent.dnsLearner().orElseThrow();

            assertEquals(OTHER, dig(lab.ns(1), "other.example.test"), () -> diagnose(lab, out, learner));
            assertTrue(!connects(lab, OTHER), "other.example.test is no toFQDNs name of the client's");
            assertEquals(API, dig(lab.ns(1), "api.example.test"));
            assertTrue(connects(lab, API), "api.example.test, right after dig: " + learner.lastError());
            List<FqdnCache.Entry> entries = learner.cache().entries(1);
            assertEquals(1, entries.size(), entries.toString());
            assertEquals("api.example.test", entries.get(0).name());
            assertTrue(stat(learner, DnsEvent.Stat.HELD) >= 2, learner.dataplaneStats().toString());
            assertEquals(stat(learner, DnsEvent.Stat.HELD), stat(learner, DnsEvent.Stat.REDELIVERED),
                    "every held answer came back");

            // lookup then connect at once, each with a name new to the node: no first-packet race
            int ok = 0;
            List<String> failed = new ArrayList<>();
            for (int i = 1; i <= RACE; i++) {
                String name = "n" + i + ".example.test";
                if (DnsClient.lookupAndConnect(lab.ns(1), RESOLVER, name, Type.A, PORT)) {
                    ok++;
                } else {
                    failed.add(name);
                }
            }
            long[] lat = learner.recentLatenciesMicros();
            long[] app = learner.recentApplyMicros();
            System.out.printf("dns race: %d/%d first connects; added latency p50 %d us, p99 %d us, max %d us"
                            + " over %d answers; plan and map writes p50 %d us, p99 %d us; %d entries%n", ok, RACE,
                    lat[lat.length / 2], lat[(int) (lat.length * 0.99)], lat[lat.length - 1], lat.length,
                    app[app.length / 2], app[(int) (app.length * 0.99)], learner.cache().size());
            assertEquals(RACE, ok, "failed: " + failed);
            assertEquals(RACE + 1, learner.cache().entries(1).size());

            // what kiln fqdn list and /metrics show, through the agent's API
            CliRuns.Run list = CliRuns.kiln("fqdn", "list", "--endpoint", "1", "--state-dir", lab.stateDir.toString());
            assertEquals(0, list.exit(), list.err());
            assertTrue(list.out().lines().anyMatch(l -> l.contains("api.example.test") && l.contains(API)
                    && l.contains("client-egress: matchName: api.example.test")), list.out());
            assertTrue(list.out().contains((RACE + 1) + " entries"), list.out());
            CliRuns.Run json = CliRuns.kiln("fqdn", "list", "--json", "--state-dir", lab.stateDir.toString());
            var root = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.out());
            assertEquals(RACE + 1, root.path("entries").size());
            assertTrue(root.path("entries").get(0).path("ttlRemainingSeconds").asLong() > 0, json.out());
            assertEquals("open", root.path("stats").path("failMode").asText());
            String metrics = io.kiln.agent.api.AgentClient.unix(agent.apiSocket()).metrics();
            assertTrue(metrics.contains("kiln_dns_answers_total{result=\"learned\"} " + (RACE + 1) + ".0"), metrics);
            assertTrue(metrics.contains("kiln_fqdn_entries " + (RACE + 1) + ".0"), metrics);
            assertTrue(metrics.contains("kiln_dns_answer_added_latency_seconds_count"), metrics);
            assertEquals(2, CliRuns.kiln("fqdn", "list", "--endpoint", "0", "--state-dir", lab.stateDir.toString())
                    .exit(), "a bad endpoint id is a usage error");
        }
    }

    @Test
    void withTheAgentStoppedFailOpenPassesAnswersAndFailClosedHoldsThemUntilItIsBack(@TempDir Path tmp)
            throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1); DnsOutside out = outside(lab, tmp)) {
            specs(lab);
            Agent open = start(lab, false);
            DnsLearner l = open.dnsLearner().orElseThrow();
            assertEquals(API, dig(lab.ns(1), "api.example.test"));
            open.close();
            long passed = stat(l, DnsEvent.Stat.AGENT_DOWN_PASSED);
            assertEquals(API, dig(lab.ns(1), "api.example.test"), "fail-open: answered with the agent down");
            assertEquals("198.18.2.7", dig(lab.ns(1), "n7.example.test"));
            assertTrue(stat(l, DnsEvent.Stat.AGENT_DOWN_PASSED) >= passed + 2, l.dataplaneStats().toString());
            assertTrue(!connects(lab, "198.18.2.7"), "a name first looked up while the agent was down is not learned");

            Agent closed = start(lab, true);
            DnsLearner c = closed.dnsLearner().orElseThrow();
            assertEquals("198.18.2.8", dig(lab.ns(1), "n8.example.test"));
            assertTrue(connects(lab, "198.18.2.8"));
            closed.close();
            long dropped = stat(c, DnsEvent.Stat.AGENT_DOWN_DROPPED);
            assertEquals("", dig(lab.ns(1), "n9.example.test"), "fail-closed: no answer with the agent down");
            assertTrue(stat(c, DnsEvent.Stat.AGENT_DOWN_DROPPED) > dropped, c.dataplaneStats().toString());

            Agent back = start(lab, true);
            assertEquals("198.18.2.9", dig(lab.ns(1), "n9.example.test"), "answered again once the agent is back");
            assertTrue(connects(lab, "198.18.2.9"));
            assertTrue(back.dnsLearner().orElseThrow().redelivered() >= 1);
        }
    }

    @Test
    void aRestartedAgentKeepsAllowingWhatItLearnedWithoutANewLookup(@TempDir Path tmp) throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1); DnsOutside out = outside(lab, tmp)) {
            specs(lab);
            Agent first = start(lab, false);
            assertEquals("198.18.2.3", dig(lab.ns(1), "n3.example.test"));
            assertTrue(connects(lab, "198.18.2.3"));
            first.close();

            // the new agent's first plan would take n3's address out of the ipcache were it not read back
            Agent second = start(lab, false);
            DnsLearner l = second.dnsLearner().orElseThrow();
            assertEquals(1, l.restored(), String.valueOf(l.lastError()));
            assertEquals(List.of("n3.example.test"), l.cache().entries(1).stream().map(FqdnCache.Entry::name).toList());
            assertTrue(second.reconciler().awaitSettled(Duration.ofSeconds(10)));
            assertTrue(connects(lab, "198.18.2.3"), "still allowed after the restart, with no new lookup");
            assertTrue(!connects(lab, "198.18.2.4"), "a name never looked up is not");
        }
    }

    @Test
    void anEntryPastItsTtlGoesUnlessAConnectionStillUsesItsAddress(@TempDir Path tmp) throws Exception {
        try (AgentLab lab = AgentLab.create(tmp, 1); DnsOutside out = outside(lab, tmp, 1)) {
            specs(lab);
            Agent agent = start(lab, DnsLearner.Options.of(new PinLayout(lab.pinRoot).nodeDir(), false)
                    .withMinTtl(Duration.ofSeconds(1)).withExpiryScan(Duration.ofHours(1)));
            DnsLearner l = agent.dnsLearner().orElseThrow();
            assertEquals("198.18.2.5", dig(lab.ns(1), "n5.example.test"));
            assertEquals("198.18.2.6", dig(lab.ns(1), "n6.example.test"));
            // a connection to n5 stays open across the expiry
            try (Socket held = lab.ns(1).call(() -> {
                Socket s = new Socket();
                s.connect(new InetSocketAddress("198.18.2.5", PORT), 1000);
                return s;
            })) {
                held.setSoTimeout(1000);
                assertEquals('k', held.getInputStream().read());
                Thread.sleep(1500); // both TTLs (1 s) have passed
                assertEquals(1, l.expireNow(), "n6 goes; n5's address is held by a tracked connection");
                List<FqdnCache.Entry> left = l.cache().entries(1);
                assertEquals(List.of("n5.example.test"), left.stream().map(FqdnCache.Entry::name).toList());
                assertTrue(agent.reconciler().awaitSettled(Duration.ofSeconds(10)));
                assertTrue(!connects(lab, "198.18.2.6"), "n6's address left the ipcache and the rule");
                assertTrue(connects(lab, "198.18.2.5"), "n5 is still allowed");
                assertEquals("198.18.2.6", dig(lab.ns(1), "n6.example.test"));
                assertTrue(connects(lab, "198.18.2.6"), "looked up again: allowed again");
            }
        }
    }
}
