package io.kiln.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kiln.lab.Command;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The {@code .rodata} constants of a loaded program as {@code bpftool} (not Kiln) shows them,
 * from the program's BTF: a check from outside that a program runs with the values its spec asks
 * for. Values are bpftool's formatted JSON: integers as numbers (an IPv4 address is its four
 * network-order bytes read as a little-endian u32), arrays of bytes for MACs.
 */
public final class RodataReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RodataReader() {
    }

    /** Every constant of program {@code programId}; empty when bpftool is missing or shows none. */
    public static Map<String, JsonNode> constants(int programId) {
        Map<String, JsonNode> out = new TreeMap<>();
        try {
            JsonNode prog = bpftool("prog", "show", "id", Integer.toString(programId));
            if (prog == null) {
                return out;
            }
            for (JsonNode mapId : prog.path("map_ids")) {
                JsonNode map = bpftool("map", "show", "id", mapId.asText());
                if (map == null || !map.path("name").asText().endsWith(".rodata")) {
                    continue;
                }
                JsonNode dump = bpftool("map", "dump", "id", mapId.asText());
                if (dump == null || dump.isEmpty()) {
                    continue;
                }
                for (JsonNode var : dump.get(0).path("formatted").path("value").path(".rodata")) {
                    var.fields().forEachRemaining(f -> out.put(f.getKey(), f.getValue()));
                }
            }
        } catch (UncheckedIOException | IllegalStateException e) {
            return out; // bpftool is missing or failed: the check is extra, never in the way
        }
        return out;
    }

    /** One constant of the first of {@code programIds} that has it, formatted for a person (IPv4 dotted). */
    public static Optional<String> constant(Collection<Integer> programIds, String name) {
        for (int id : programIds) {
            JsonNode v = constants(id).get(name);
            if (v != null) {
                return Optional.of(name.endsWith("IPV4") && v.isNumber() ? ipv4(v.asLong()) : v.toString());
            }
        }
        return Optional.empty();
    }

    /** The dotted form of an IPv4 address bpftool showed as a little-endian u32. */
    public static String ipv4(long littleEndian) {
        return (littleEndian & 0xff) + "." + (littleEndian >> 8 & 0xff) + "." + (littleEndian >> 16 & 0xff) + "."
                + (littleEndian >> 24 & 0xff);
    }

    private static JsonNode bpftool(String... args) {
        List<String> command = new java.util.ArrayList<>(List.of("bpftool", "-j"));
        command.addAll(List.of(args));
        Command.Result r = Command.run(command);
        if (r.exitCode() != 0) {
            return null;
        }
        try {
            return JSON.readTree(r.stdout());
        } catch (IOException e) {
            return null;
        }
    }
}
