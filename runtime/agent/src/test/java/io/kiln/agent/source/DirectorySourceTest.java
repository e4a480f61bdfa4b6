package io.kiln.agent.source;

import io.kiln.agent.Fixtures;
import io.kiln.agent.spec.SpecError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DirectorySourceTest {
    private final BlockingQueue<SourceSnapshot> snapshots = new LinkedBlockingQueue<>();

    @Test
    void followsFilesAsTheyAreWrittenChangedAndDeleted(@TempDir Path dir) throws Exception {
        try (DirectorySource source = new DirectorySource(dir, snapshots::add, Duration.ofSeconds(30))) {
            source.start();
            SourceSnapshot first = next(s -> true);
            assertEquals(List.of(), first.endpoints());
            assertTrue(Files.isDirectory(dir.resolve("endpoints")) && Files.isDirectory(dir.resolve("policies"))
                    && Files.isDirectory(dir.resolve("services")));

            Files.writeString(dir.resolve("endpoints/web.yaml"), Fixtures.endpointYaml(1, Map.of("app", "web")));
            SourceSnapshot added = next(s -> s.endpoints().size() == 1);
            assertEquals("lxc1", added.endpoints().get(0).interfaceName());

            Files.writeString(dir.resolve("endpoints/web.yaml"), Fixtures.endpointYaml(1, Map.of("app", "web2")));
            SourceSnapshot changed = next(s -> s.endpoints().size() == 1
                    && s.endpoints().get(0).labels().map().get("app").equals("web2"));
            assertEquals(List.of(), changed.errors());

            Files.writeString(dir.resolve("policies/lock.yaml"), "name: lock\nendpointSelector: {}\ningress: []\n");
            next(s -> s.policies().size() == 1);

            Files.delete(dir.resolve("endpoints/web.yaml"));
            SourceSnapshot gone = next(s -> s.endpoints().isEmpty());
            assertEquals(1, gone.policies().size());
        }
    }

    @Test
    void aBadFileIsItsOwnErrorAndKeepsItsLastGoodVersion(@TempDir Path dir) throws Exception {
        DirectorySource source = new DirectorySource(dir, snapshots::add, Duration.ofSeconds(30));
        Files.createDirectories(dir.resolve("endpoints"));
        Files.writeString(dir.resolve("endpoints/web.yaml"), Fixtures.endpointYaml(1, Map.of("app", "web")));
        Files.writeString(dir.resolve("endpoints/db.yaml"), Fixtures.endpointYaml(2, Map.of("app", "db")));
        Files.writeString(dir.resolve("endpoints/.web.yaml.swp"), "not a spec");
        Files.writeString(dir.resolve("endpoints/README"), "not a spec either");
        assertTrue(source.scan());
        assertEquals(2, snapshots.take().endpoints().size());

        Path bad = dir.resolve("endpoints/bad.yaml");
        Files.writeString(bad, Fixtures.endpointYaml(3, Map.of("app", "x")) + "colour: blue\n");
        assertTrue(source.scan());
        SourceSnapshot s = snapshots.take();
        assertEquals(List.of(1, 2), s.endpoints().stream().map(e -> e.id()).sorted().toList());
        SpecError e = s.errors().get(0);
        assertEquals(bad.toString(), e.source());
        assertEquals(7, e.line());
        assertEquals("colour", e.field());
        assertEquals("3", e.key(), "the id is known although the spec is bad");
        assertFalse(e.previousKept());

        Files.writeString(dir.resolve("endpoints/db.yaml"), Fixtures.endpointYaml(2, Map.of("app", "db"))
                .replace("198.18.0.2", "198.18.0.999"));
        assertTrue(source.scan());
        SourceSnapshot broken = snapshots.take();
        assertEquals(2, broken.endpoints().size(), "db keeps its last good version");
        SpecError dbError = broken.errors().stream().filter(x -> x.source().endsWith("db.yaml")).findFirst().orElseThrow();
        assertTrue(dbError.previousKept());
        assertEquals("addresses.ipv4", dbError.field());

        assertFalse(source.scan(), "nothing changed, nothing sent");
    }

    @Test
    void aSecondFileWithTheSameIdIsTheNewcomersError(@TempDir Path dir) throws Exception {
        DirectorySource source = new DirectorySource(dir, snapshots::add, Duration.ofSeconds(30));
        Files.createDirectories(dir.resolve("endpoints"));
        Files.writeString(dir.resolve("endpoints/z-first.yaml"), Fixtures.endpointYaml(1, Map.of("app", "web")));
        source.scan();
        snapshots.take();
        Files.writeString(dir.resolve("endpoints/a-second.yaml"), Fixtures.endpointYaml(1, Map.of("app", "other")));
        source.scan();
        SourceSnapshot s = snapshots.take();
        assertEquals("web", s.endpoints().get(0).labels().map().get("app"), "the file that had it first keeps it");
        assertTrue(s.errors().get(0).message().contains("a-second.yaml:1: id: endpoint 1 is already defined by"),
                s.errors().get(0).message());
    }

    @Test
    void aggregatorWaitsForEverySourceAndReportsClashes() {
        List<Object[]> out = new java.util.ArrayList<>();
        SpecAggregator agg = new SpecAggregator(java.util.Set.of("directory", "api"), (state, errors) ->
                out.add(new Object[] {state, errors}));
        agg.onSnapshot(new SourceSnapshot("directory", List.of(Fixtures.endpoint(1, "app", "web")), List.of(), List.of(),
                List.of()));
        assertTrue(out.isEmpty(), "nothing until the API source reported too");
        agg.onSnapshot(new SourceSnapshot("api", List.of(Fixtures.endpoint(1, "app", "api"), Fixtures.endpoint(2, "app", "x")),
                List.of(), List.of(), List.of()));
        assertEquals(1, out.size());
        io.kiln.agent.spec.DesiredState d = (io.kiln.agent.spec.DesiredState) out.get(0)[0];
        assertEquals("web", d.endpoints().get(1).labels().map().get("app"));
        assertEquals(2, d.endpoints().size());
        @SuppressWarnings("unchecked")
        List<SpecError> errors = (List<SpecError>) out.get(0)[1];
        assertEquals(1, errors.size());
        assertTrue(errors.get(0).message().contains("endpoint 1 is already defined by"), errors.get(0).message());
    }

    @Test
    void aSymlinkOutOfTheSpecDirectoryIsNotReadAndIsReported(@TempDir Path dir, @TempDir Path outside) throws Exception {
        DirectorySource source = new DirectorySource(dir, snapshots::add, Duration.ofSeconds(30));
        Files.createDirectories(dir.resolve("endpoints"));
        Files.writeString(dir.resolve("endpoints/web.yaml"), Fixtures.endpointYaml(1, Map.of("app", "web")));
        Path foreign = Files.writeString(outside.resolve("x.yaml"), Fixtures.endpointYaml(2, Map.of("app", "x")));
        Files.createSymbolicLink(dir.resolve("endpoints/x.yaml"), foreign);
        // within the folder is fine (a ConfigMap mount links each file into ..data/)
        Files.createDirectories(dir.resolve("..data"));
        Files.writeString(dir.resolve("..data/db.yaml"), Fixtures.endpointYaml(3, Map.of("app", "db")));
        Files.createSymbolicLink(dir.resolve("endpoints/db.yaml"), dir.resolve("..data/db.yaml"));
        assertTrue(source.scan());
        SourceSnapshot s = snapshots.take();
        assertEquals(List.of(1, 3), s.endpoints().stream().map(e -> e.id()).sorted().toList());
        assertEquals(1, s.errors().size(), "the link out is that file's error, for kiln status: " + s.errors());
        String message = s.errors().get(0).message();
        assertTrue(message.contains("x.yaml") && message.contains("leads to " + foreign.toRealPath())
                && message.contains("outside the spec directory"), message);
    }

    @Test
    void aSymlinkToAFifoIsRefusedNotReadForever(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("pipe");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        Path link = Files.createSymbolicLink(dir.resolve("web.yaml"), fifo);
        io.kiln.agent.spec.SpecException e = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                Duration.ofSeconds(5), () -> org.junit.jupiter.api.Assertions.assertThrows(
                        io.kiln.agent.spec.SpecException.class, () -> io.kiln.agent.spec.SpecReader.text(link)));
        assertEquals(link + ": not a regular file (it leads to " + fifo + "); not a spec", e.getMessage());
    }

    /** A FIFO named like a spec is that file's error (shown by kiln status), never a read that blocks the scan. */
    @Test
    void aFifoInTheSpecDirectoryIsAnErrorOfThatFile(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("endpoints"));
        Files.writeString(dir.resolve("endpoints/web.yaml"), Fixtures.endpointYaml(1, Map.of("app", "web")));
        Path fifo = dir.resolve("endpoints/pipe.yaml");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        DirectorySource source = new DirectorySource(dir, snapshots::add, Duration.ofSeconds(30));
        assertTrue(org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(5), source::scan));
        SourceSnapshot s = snapshots.take();
        assertEquals(List.of(1), s.endpoints().stream().map(e -> e.id()).toList());
        assertEquals(List.of(fifo + ": not a regular file; not a spec"), s.errors().stream().map(e -> e.message())
                .toList());
    }

    private SourceSnapshot next(Predicate<SourceSnapshot> wanted) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            SourceSnapshot s = snapshots.poll(200, TimeUnit.MILLISECONDS);
            if (s != null && wanted.test(s)) {
                return s;
            }
        }
        throw new AssertionError("no matching snapshot within 20 s");
    }
}
