package io.kiln.agent.flow;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FlowExportTest {
    private static FlowRecord record(long seq) throws Exception {
        Instant t = Instant.parse("2026-12-04T12:00:00Z");
        return new FlowRecord(seq, t, "end", Verdict.FORWARDED, null, 1, "lxc1", "egress", "TCP",
                new FlowPeer(InetAddress.getByName("198.18.0.1"), 40000, 3001, 1, "lxc1", new java.util.TreeMap<>(
                        Map.of("app", "client"))),
                new FlowPeer(InetAddress.getByName("198.18.0.2"), 80, 3002, null, null, null),
                List.of("SYN", "ACK", "FIN"), t, t, 3, 300, 2, 200, 250);
    }

    @Test
    void writesOneJsonObjectALineThatReadsBack(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("flows.jsonl");
        try (FlowExport e = FlowExport.open(FlowExport.Options.of(file))) {
            e.accept(record(1));
            e.accept(record(2));
            assertEquals(2, e.written());
            assertEquals(2, e.sum("kiln_flow_export_records_total", Map.of()));
        }
        List<String> lines = Files.readAllLines(file);
        assertEquals(2, lines.size());
        assertEquals(record(2), FlowRecord.fromJson(lines.get(1)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        try (FlowExport e = FlowExport.open(FlowExport.Options.of(file))) { // a restarted agent appends
            e.accept(record(3));
        }
        assertEquals(3, Files.readAllLines(file).size());
    }

    @Test
    void rotatesAtItsSizeAndKeepsOnlySoMany(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("flows.jsonl");
        int line = (record(1).toJson() + "\n").length();
        try (FlowExport e = FlowExport.open(new FlowExport.Options(file, 4096, 2))) {
            for (int i = 0; i < 4 * (4096 / line) + 3; i++) { // a bit more than four files' worth
                e.accept(record(i));
            }
            assertEquals(0, e.failed());
            assertTrue(e.sum("kiln_flow_export_rotations_total", Map.of()) >= 4);
        }
        for (Path p : List.of(file, dir.resolve("flows.jsonl.1"), dir.resolve("flows.jsonl.2"))) {
            assertTrue(Files.size(p) <= 4096, p + " " + Files.size(p));
            Files.readAllLines(p).forEach(FlowRecord::fromJson); // whole lines only
        }
        assertFalse(Files.exists(dir.resolve("flows.jsonl.3")), "keep 2: the oldest is gone");
        long newest = FlowRecord.fromJson(Files.readAllLines(file).get(0)).seq();
        long older = FlowRecord.fromJson(Files.readAllLines(dir.resolve("flows.jsonl.1")).get(0)).seq();
        assertTrue(older < newest);
    }

    @Test
    void neverWritesThroughASymbolicLinkAndSaysWhy(@TempDir Path dir) throws Exception {
        Path target = Files.writeString(dir.resolve("elsewhere"), "");
        Path link = Files.createSymbolicLink(dir.resolve("flows.jsonl"), target);
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> FlowExport.open(FlowExport.Options.of(link)));
        assertTrue(e.getMessage().startsWith("flow export: cannot open " + link), e.getMessage());
        assertEquals(0, Files.size(target));
        assertThrows(IllegalArgumentException.class, () -> new FlowExport.Options(dir.resolve("f"), 100, 1));
    }
}
