package io.kiln.agent.identity;

import io.kiln.agent.Fixtures;
import io.kiln.agent.spec.Cidr;
import io.kiln.agent.spec.EndpointSpec;
import io.kiln.agent.spec.Labels;
import io.kiln.agent.spec.SpecException;
import io.kiln.agent.spec.SpecReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdentityAllocatorTest {
    private static final Labels WEB = Labels.of("app", "web");
    private static final Labels DB = Labels.of("app", "db");

    @Test
    void identitiesSurviveARestart(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("run/kiln/identities.json");
        IdentityAllocator first = IdentityAllocator.open(file);
        int web = first.labelIdentity(WEB);
        int db = first.labelIdentity(DB);
        int cidr = first.cidrIdentity(Cidr.parse("198.19.0.0/16"));
        int svc = first.serviceId("web");
        assertTrue(Identities.isLabelIdentity(web) && Identities.isLabelIdentity(db));
        assertNotEquals(web, db);
        assertTrue(Identities.isCidrIdentity(cidr));
        assertTrue(svc >= 1 && svc <= 0xffff);
        assertEquals(web, first.labelIdentity(Labels.of("app", "web")), "the same labels, the same identity");
        assertTrue(first.save());
        assertFalse(first.save(), "nothing changed, nothing written");

        IdentityAllocator restarted = IdentityAllocator.open(file);
        int newcomer = restarted.labelIdentity(Labels.of("app", "cache"));
        assertEquals(db, restarted.labelIdentity(DB));
        assertEquals(web, restarted.labelIdentity(WEB));
        assertEquals(cidr, restarted.cidrIdentity(Cidr.parse("198.19.0.0/16")));
        assertEquals(svc, restarted.serviceId("web"));
        assertTrue(newcomer != web && newcomer != db, "a new label set never takes a persisted identity");
        try (Stream<Path> files = Files.list(file.getParent())) {
            assertEquals(List.of(file), files.toList(), "no temp file left behind");
        }
    }

    @Test
    void pinsAndClashes() {
        IdentityAllocator a = IdentityAllocator.inMemory();
        a.pin(WEB, 3001);
        assertEquals(3001, a.labelIdentity(WEB));
        a.retain(List.of(WEB, DB), List.of(), List.of());
        IdentityClashException clash = assertThrows(IdentityClashException.class, () -> a.pin(DB, 3001));
        assertEquals("identity 3001 is already the identity of labels {app=web}", clash.getMessage());
        a.retain(List.of(DB), List.of(), List.of());
        a.pin(DB, 3001);
        assertEquals(3001, a.labelIdentity(DB), "a holder no longer in use yields to a pin");
        assertNotEquals(3001, a.labelIdentity(WEB));
    }

    @Test
    void forgetsWhatIsUnusedPastTheGrace(@TempDir Path dir) {
        MutableClock clock = new MutableClock();
        IdentityAllocator a = IdentityAllocator.open(dir.resolve("ids.json"), clock, Duration.ofMinutes(15));
        int web = a.labelIdentity(WEB);
        a.labelIdentity(DB);
        clock.advance(Duration.ofMinutes(10));
        a.retain(List.of(DB), List.of(), List.of());
        assertEquals(web, a.findLabelIdentity(WEB).orElseThrow(), "kept within the grace");
        clock.advance(Duration.ofMinutes(10));
        a.retain(List.of(DB), List.of(), List.of());
        assertTrue(a.findLabelIdentity(WEB).isEmpty(), "forgotten after it");
        assertEquals(Set.of(DB), Set.copyOf(a.labelIdentities().values()));
    }

    @Test
    void refusesACorruptFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("identities.json");
        Files.writeString(file, "{\"format\": 1, \"labels\": [{\"identity\": 12, \"labels\": {}}]}");
        IdentityException e = assertThrows(IdentityException.class, () -> IdentityAllocator.open(file));
        assertTrue(e.getMessage().startsWith("identity file " + file + " is not a Kiln identity file"), e.getMessage());
    }

    @Test
    void assignmentReportsClashesPerEndpoint() {
        IdentityAllocator a = IdentityAllocator.inMemory();
        EndpointSpec web = pinned(1, "web", 3001);
        EndpointSpec db = pinned(2, "db", 3001);
        EndpointSpec web2 = pinned(3, "web", 4000);
        EndpointSpec plain = Fixtures.endpoint(4, "app", "cache");
        a.retain(List.of(web.labels(), db.labels(), plain.labels()), List.of(), List.of());
        IdentityAssignment.Result r = IdentityAssignment.assign(a, List.of(db, web, web2, plain));
        assertEquals(3001, r.identities().get(1));
        assertTrue(Identities.isLabelIdentity(r.identities().get(4)));
        SpecException clash = r.errors().get(2);
        assertEquals("identity", clash.field());
        assertEquals(7, clash.line());
        assertTrue(clash.reason().contains("identity clash: identity 3001 is already the identity of labels {app=web}"),
                clash.getMessage());
        assertTrue(r.errors().get(3).reason().contains("endpoint 1 with the same labels {app=web} pins identity 3001"),
                r.errors().get(3).getMessage());
        assertEquals(Set.of(2, 3), r.errors().keySet());
    }

    @Test
    void theRunningHolderKeepsItsPin() {
        IdentityAllocator a = IdentityAllocator.inMemory();
        EndpointSpec db = pinned(9, "db", 3001);
        a.retain(List.of(db.labels()), List.of(), List.of());
        assertEquals(3001, IdentityAssignment.assign(a, List.of(db)).identities().get(9));
        EndpointSpec web = pinned(1, "web", 3001);
        a.retain(List.of(db.labels(), web.labels()), List.of(), List.of());
        IdentityAssignment.Result r = IdentityAssignment.assign(a, List.of(web, db));
        assertEquals(3001, r.identities().get(9), "endpoint 9 held 3001 first, although endpoint 1 has a lower id");
        assertTrue(r.errors().containsKey(1));
    }

    private static EndpointSpec pinned(int id, String app, int identity) {
        return SpecReader.endpoint("endpoints/" + id + ".yaml",
                Fixtures.endpointYaml(id, java.util.Map.of("app", app)) + "identity: " + identity + "\n");
    }

    static final class MutableClock extends Clock {
        private Instant now = Instant.parse("2026-01-01T00:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
