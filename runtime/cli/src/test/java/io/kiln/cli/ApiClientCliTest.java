package io.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.agent.api.AgentMetrics;
import io.kiln.agent.api.AgentStatus;
import io.kiln.agent.api.ApiServer;
import io.kiln.agent.api.ApiSource;
import io.kiln.agent.api.EndpointStatus;
import io.kiln.agent.spec.DesiredState;
import io.kiln.agent.spec.TemplateCatalog;
import io.kiln.agent.fqdn.DnsAnswers;
import io.kiln.agent.fqdn.DnsLearner;
import io.kiln.agent.fqdn.FqdnListing;
import io.kiln.agent.spec.FqdnSelector;
import io.kiln.host.Netns;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the client commands reach an agent: its Unix socket by default, TCP with the token on --api-port. */
class ApiClientCliTest {
    @Test
    void statusUsesTheAgentsUnixSocket(@TempDir Path state) {
        ApiSource store = new ApiSource(state.resolve("api"), snapshot -> { });
        store.start();
        AgentStatus status = new AgentStatus(Instant.parse("2026-01-01T00:00:00Z"), true, 0, 0, List.of(),
                EndpointStatus.State.READY, null, List.of());
        try (ApiServer api = new ApiServer(new ApiServer.Options(0, "tok", state.resolve("api.sock")), store,
                TemplateCatalog.of(List.of()), () -> DesiredState.EMPTY, () -> status, () -> AgentMetrics.cache(0, 0, 0))) {
            api.start();
            CliTest.Run run = CliTest.kiln("status", "--state-dir", state.toString());
            assertEquals(0, run.exit(), run.err());
            assertTrue(run.out().startsWith("agent: synced, 0/0 endpoints ready"), run.out());

            // over TCP the token is needed, GETs too; there is no token file here
            CliTest.Run tcp = CliTest.kiln("status", "--state-dir", state.toString(), "--api-port", String.valueOf(api.port()));
            assertEquals(2, tcp.exit(), tcp.out()); // refused, as a change without the token always was
            assertTrue(tcp.err().contains("needs the agent's token"), tcp.err());
        }
        CliTest.Run gone = CliTest.kiln("status", "--state-dir", state.toString());
        assertEquals(1, gone.exit(), gone.out());
        assertEquals("kiln: no agent answers at unix:" + state.resolve("api.sock") + ": no such socket (is `kiln agent`"
                + " running with --state-dir " + state + "? are you root? over TCP: --api-port N)", gone.err().strip());
    }

    @Test
    void statusShowsHowManyNamesWereLearnedAndTheFirstFewWithTheirRules(@TempDir Path state) throws Exception {
        ApiSource store = new ApiSource(state.resolve("api"), snapshot -> { });
        store.start();
        AgentStatus status = new AgentStatus(Instant.parse("2026-01-01T00:00:00Z"), true, 0, 0, List.of(),
                EndpointStatus.State.READY, null, List.of());
        // a real learner's cache and listing (the learner is not started: no ring buffer, no heartbeat)
        DnsLearner learner = new DnsLearner(DnsLearner.Options.of(state.resolve("pins"), false), new DnsLearner.Host() {
            @Override
            public SortedSet<FqdnSelector> selectors(int endpointId) {
                return new TreeSet<>();
            }

            @Override
            public Netns interfaceNamespace(int endpointId) {
                return null;
            }

            @Override
            public boolean apply(Set<Integer> endpointIds, Set<InetAddress> touched, Duration timeout) {
                return true;
            }
        });
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        List<FqdnSelector> rules = List.of(FqdnSelector.pattern("*.example.test"));
        for (int i = 0; i < 7; i++) {
            learner.cache().learn(3, DnsAnswers.parse(answer("n" + i + ".example.test", "198.19.0." + (i + 1))), rules, now);
        }
        FqdnListing listing = new FqdnListing(learner, (ep, name) -> List.of("client: matchPattern: *.example.test"),
                Clock.fixed(now.plusSeconds(100), ZoneOffset.UTC));
        try (ApiServer api = new ApiServer(new ApiServer.Options(-1, null, state.resolve("api.sock")), store,
                TemplateCatalog.of(List.of()), () -> DesiredState.EMPTY, () -> status, () -> AgentMetrics.cache(0, 0, 0))) {
            api.fqdn(listing);
            api.start();
            CliTest.Run run = CliTest.kiln("status", "--state-dir", state.toString());
            assertEquals(0, run.exit(), run.err());
            List<String> lines = run.out().lines().toList();
            assertTrue(lines.get(1).startsWith("learned names: 7 entries (0 refused by a bound)"), run.out());
            assertTrue(lines.get(2).matches("  endpoint 3 +n0\\.example\\.test +198\\.19\\.0\\.1 +ttl 200s +client:"
                    + " matchPattern: \\*\\.example\\.test"), lines.get(2));
            assertEquals(2 + StatusCommand.FQDN_SHOWN, lines.size() - 1, run.out());
            assertEquals("  ... 2 more: kiln fqdn list", lines.get(lines.size() - 1));
            assertFalse(run.out().contains("n5.example.test"), "the first " + StatusCommand.FQDN_SHOWN + " only");

            CliTest.Run list = CliTest.kiln("fqdn", "list", "--state-dir", state.toString());
            assertEquals(0, list.exit(), list.err());
            assertTrue(list.out().contains("n6.example.test"), "fqdn list shows them all: " + list.out());
        } finally {
            learner.close();
        }
    }

    @Test
    void statusOfAnAgentWithoutDnsLearningHasNoNamesLine(@TempDir Path state) {
        ApiSource store = new ApiSource(state.resolve("api"), snapshot -> { });
        store.start();
        AgentStatus status = new AgentStatus(Instant.parse("2026-01-01T00:00:00Z"), true, 0, 0, List.of(),
                EndpointStatus.State.READY, null, List.of());
        try (ApiServer api = new ApiServer(new ApiServer.Options(-1, null, state.resolve("api.sock")), store,
                TemplateCatalog.of(List.of()), () -> DesiredState.EMPTY, () -> status, () -> AgentMetrics.cache(0, 0, 0))) {
            api.start();
            CliTest.Run run = CliTest.kiln("status", "--state-dir", state.toString());
            assertEquals(0, run.exit(), run.err());
            assertFalse(run.out().contains("learned names"), run.out());
        }
    }

    private static byte[] answer(String name, String address) throws Exception {
        Name n = Name.fromString(name + ".");
        Message m = Message.newQuery(Record.newRecord(n, Type.A, DClass.IN));
        m.getHeader().setFlag(Flags.QR);
        m.addRecord(new ARecord(n, DClass.IN, 300, InetAddress.getByName(address)), Section.ANSWER);
        return m.toWire();
    }
}
