package io.kiln.agent.fqdn;

import io.kiln.agent.spec.FqdnSelector;
import io.kiln.host.Netns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Learned entries across an agent restart: the state file written, read back, and read as untrusted input. */
class FqdnStateFileTest {
    private static final Instant LATER = Instant.now().plusSeconds(3600);

    private static FqdnCache.Entry entry(int ep, String name, String address) throws Exception {
        return new FqdnCache.Entry(ep, name, InetAddress.getByName(address), LATER);
    }

    @Test
    void entriesWrittenAreReadBack(@TempDir Path dir) throws Exception {
        FqdnStateFile f = new FqdnStateFile(dir.resolve("fqdn.json"));
        List<FqdnCache.Entry> entries = List.of(entry(1, "api.example.test", "198.18.5.1"),
                entry(2, "edge.cdn.test", "2001:db8::5"));
        f.write(entries);
        FqdnStateFile.Read r = f.read(100);
        assertNull(r.problem());
        assertEquals(entries, r.entries());
        assertEquals(new FqdnStateFile.Read(List.of(), null), new FqdnStateFile(dir.resolve("none.json")).read(100),
                "no file: nothing, and nothing wrong");
    }

    @Test
    void aRestartedLearnerKeepsWhatTheLastOneLearned(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("state/fqdn.json");
        DnsLearner first = learner(dir).persistTo(file).start();
        DnsAnswer a = DnsAnswers.parse(new DnsWire("api.example.test", DnsWire.typeA()).a("api.example.test",
                "198.18.5.1", 3600).a("api.example.test", "198.18.5.2", 3600).wire());
        first.cache().learn(4, a, List.of(FqdnSelector.name("api.example.test")), Instant.now());
        first.close();
        assertTrue(Files.isRegularFile(file), "written when the learner stops");

        DnsLearner second = learner(dir).persistTo(file).start();
        try {
            assertEquals(2, second.restored());
            assertEquals(first.cache().entries(null), second.cache().entries(null));
            assertEquals(List.of("api.example.test"), second.cache().names(InetAddress.getByName("198.18.5.2")));
        } finally {
            second.close();
        }
    }

    @Test
    void badEntriesAreSkippedAndNamedTheRestKept(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("fqdn.json");
        Files.writeString(p, """
                {"format": 1, "entries": [
                  {"endpoint": 1, "name": "api.example.test", "address": "198.18.5.1", "expires": "2030-01-01T00:00:00Z"},
                  {"endpoint": 1, "name": "api.example.test", "address": "not-an-address", "expires": "2030-01-01T00:00:00Z"},
                  {"endpoint": 70000, "name": "x.test", "address": "198.18.5.2", "expires": "2030-01-01T00:00:00Z"},
                  {"endpoint": 1, "name": "bad name", "address": "198.18.5.3", "expires": "2030-01-01T00:00:00Z"},
                  {"endpoint": 1, "name": "y.test", "address": "198.18.5.4", "expires": "soon"}
                ]}""");
        FqdnStateFile.Read r = new FqdnStateFile(p).read(100);
        assertEquals(1, r.entries().size());
        assertEquals("fqdn state file " + p + ": entries[1].address: 'not-an-address' is not an IPv4 or IPv6 address;"
                + " 4 of 5 entries skipped", r.problem());
        assertEquals(1, new FqdnStateFile(p).read(1).entries().size(), "at most the node's bound of entries");
    }

    @Test
    @Timeout(10)
    void aFifoALinkAHugeFileOrNotJsonAreNeverUsed(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("fifo.json");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        assertTrue(new FqdnStateFile(fifo).read(100).problem().endsWith("not a regular file (a link, a FIFO or a device"
                + " is never read); starting with no learned names"), "a FIFO would block the read forever");

        Path real = dir.resolve("real.json");
        new FqdnStateFile(real).write(List.of(entry(1, "api.example.test", "198.18.5.1")));
        Path link = dir.resolve("link.json");
        Files.createSymbolicLink(link, real);
        FqdnStateFile.Read viaLink = new FqdnStateFile(link).read(100);
        assertTrue(viaLink.entries().isEmpty() && viaLink.problem().contains("not a regular file"), viaLink.problem());

        Path huge = dir.resolve("huge.json");
        Files.write(huge, new byte[(int) (4096 + 10 * FqdnStateFile.BYTES_PER_ENTRY) + 1]);
        assertTrue(new FqdnStateFile(huge).read(10).problem().contains("bytes, more than 9216"),
                new FqdnStateFile(huge).read(10).problem());

        Path junk = dir.resolve("junk.json");
        Files.writeString(junk, "{\"format\": 1, \"entries\": [");
        assertTrue(new FqdnStateFile(junk).read(10).problem().contains("not JSON"));
        Files.writeString(junk, "{\"format\": 2, \"entries\": []}");
        assertTrue(new FqdnStateFile(junk).read(10).problem().contains("format: expected 1"));
    }

    private static DnsLearner learner(Path dir) {
        return new DnsLearner(DnsLearner.Options.of(dir.resolve("pins"), false), new DnsLearner.Host() {
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
    }
}
