package io.kiln.maven.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The verifier's figures for each variant, program and value set, as logged and as {@code verify-report.json}. */
public final class VerifyReport {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** One program under one value set. */
    public record Entry(String variant, String valueSet, String program, long processedInsns, long verificationMicros,
                        double loadMillis) {
    }

    private final List<Entry> entries = new ArrayList<>();
    private int loads;

    public void add(String variant, String valueSet, VerifierRun.Load load) {
        loads++;
        for (VerifierRun.ProgramStats p : load.programs()) {
            entries.add(new Entry(variant, valueSet, p.program(), p.processedInsns(), p.verificationMicros(),
                    Math.round(load.loadNanos() / 1e4) / 100.0));
        }
    }

    /** Log lines for a variant: per program the largest figures over its value sets and which set gave them. */
    public List<String> summary(String variant, Map<String, String> hooks) {
        Map<String, List<Entry>> byProgram = new LinkedHashMap<>();
        entries.stream().filter(e -> e.variant().equals(variant))
                .forEach(e -> byProgram.computeIfAbsent(e.program(), k -> new ArrayList<>()).add(e));
        List<String> lines = new ArrayList<>();
        long sets = entries.stream().filter(e -> e.variant().equals(variant)).map(Entry::valueSet).distinct().count();
        if (sets > 0) {
            lines.add("kiln: " + variant + " passed the verifier with " + sets + " set(s) of constant values:");
        }
        byProgram.forEach((program, list) -> {
            Entry most = list.stream().max((a, b) -> Long.compare(a.processedInsns(), b.processedInsns())).orElseThrow();
            long slowest = list.stream().mapToLong(Entry::verificationMicros).max().orElse(-1);
            long fewest = list.stream().mapToLong(Entry::processedInsns).min().orElse(-1);
            lines.add("kiln:   " + program + " (" + hooks.getOrDefault(program, "?") + "): " + most.processedInsns()
                    + " insns processed (max, constants " + most.valueSet() + "; min " + fewest + "), verification "
                    + slowest + " us (max)");
        });
        return lines;
    }

    public int variantCount() {
        return (int) entries.stream().map(Entry::variant).distinct().count();
    }

    public int loadCount() {
        return loads;
    }

    public byte[] toJson() {
        try {
            return MAPPER.writeValueAsBytes(Map.of("entries", entries));
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the verify report", e);
        }
    }
}
