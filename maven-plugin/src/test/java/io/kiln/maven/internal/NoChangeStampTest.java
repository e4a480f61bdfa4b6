package io.kiln.maven.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The no-change shortcut holds exactly while nothing it recorded changed. */
class NoChangeStampTest {
    private static final List<String> SAID = List.of("kiln: a note", "kiln: 1 variant(s) of 1 template(s): up to date");

    @TempDir
    Path dir;
    private Path stamp;
    private Path templates;
    private Path source;
    private Path header;
    private Path clang;
    private Path objects;
    private Path index;
    private String config;

    @BeforeEach
    void setUp() throws IOException {
        templates = Files.createDirectories(dir.resolve("src/main/bpf/t"));
        source = Files.writeString(templates.resolve("t.bpf.c.ftl"), "// source\n");
        Files.writeString(templates.resolve("t.template.yaml"), "name: t\n");
        header = Files.writeString(Files.createDirectories(dir.resolve("usr/include")).resolve("x.h"), "// x\n");
        clang = Files.writeString(dir.resolve("clang"), "#!/bin/sh\n");
        objects = Files.createDirectories(dir.resolve("target/classes/META-INF/kiln/objects"));
        Files.writeString(objects.resolve("t-1.o"), "ELF");
        index = Files.writeString(dir.resolve("target/classes/META-INF/kiln/index.json"), "{}");
        age(dir);
        stamp = dir.resolve("target/kiln/no-change-compile.txt");
        config = NoChangeStamp.configDigest(List.of("compile", "plugin 1", "PATH"));
        Files.createDirectories(stamp.getParent());
    }

    private void record() throws IOException {
        NoChangeStamp.record(stamp, config, List.of(dir.resolve("src/main/bpf")), List.of(header, clang),
                List.of(objects), List.of(index), SAID);
    }

    private Optional<List<String>> check() {
        return NoChangeStamp.check(stamp, config);
    }

    @Test
    void nothingChangedGivesTheRecordedOutcome() throws IOException {
        record();
        assertEquals(Optional.of(SAID), check());
        assertEquals(Optional.of(SAID), check(), "checking changes nothing");
    }

    @Test
    void aSettingChanged() throws IOException {
        record();
        assertEquals(Optional.empty(), NoChangeStamp.check(stamp,
                NoChangeStamp.configDigest(List.of("compile", "plugin 1", "kiln.clang=/usr/bin/clang-19"))));
    }

    @Test
    void anInputRewrittenWithTheSameSize() throws IOException {
        record();
        Files.writeString(source, "// SOURCE\n");
        assertEquals(Optional.empty(), check());
    }

    @Test
    void onlyTheTimeOfAnInputChanged() throws IOException {
        record();
        Files.setLastModifiedTime(header, FileTime.from(Instant.now().minus(10, ChronoUnit.MINUTES)));
        assertEquals(Optional.empty(), check());
    }

    @Test
    void aFileAddedToATemplateFolder() throws IOException {
        record();
        Files.writeString(templates.resolve("extra.ftl"), "");
        assertEquals(Optional.empty(), check());
    }

    @Test
    void anInputRemoved() throws IOException {
        record();
        Files.delete(header);
        assertEquals(Optional.empty(), check());
    }

    @Test
    void anOutputRemovedOrAdded() throws IOException {
        record();
        Files.delete(index);
        assertEquals(Optional.empty(), check());
        record();
        Files.writeString(objects.resolve("stray.o"), "");
        assertEquals(Optional.empty(), check());
    }

    @Test
    void clangReplaced() throws IOException {
        record();
        Files.writeString(clang, "#!/bin/sh\n# new\n");
        assertEquals(Optional.empty(), check());
    }

    @Test
    void anInputTooFreshToTrustLeavesNoStamp() throws IOException {
        record();
        assertTrue(Files.exists(stamp));
        Files.writeString(source, "// just edited\n");
        record();
        assertFalse(Files.exists(stamp), "an input changed within the timestamp race window: no shortcut");
        assertEquals(Optional.empty(), check());
    }

    @Test
    void aDamagedStampIsNoStamp() throws IOException {
        record();
        Files.writeString(stamp, Files.readString(stamp).replace("kiln-no-change 1", "kiln-no-change 0"));
        assertEquals(Optional.empty(), check());
        Files.writeString(stamp, "kiln-no-change 1\nconfig\t" + config + "\nbogus\tline\n");
        assertEquals(Optional.empty(), check());
    }

    /** Moves every file's time an hour back, out of the race window. */
    private static void age(Path root) throws IOException {
        FileTime old = FileTime.from(Instant.now().minus(1, ChronoUnit.HOURS));
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.setLastModifiedTime(p, old);
            }
        }
    }
}
