package io.kiln.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/** JSON output of the CLI: one object on one line, so scripts can take the last line. */
final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);

    private Json() {
    }

    /**
     * Prints a benchmark's figures: with {@code json} one object on one line, else one {@code key value}
     * line per entry, the keys padded to the longest.
     */
    static void printFigures(java.io.PrintWriter out, java.util.Map<String, ?> figures, boolean json) {
        if (json) {
            out.println(line(figures));
        } else {
            int width = figures.keySet().stream().mapToInt(String::length).max().orElse(0);
            String format = "%-" + Math.max(1, width) + "s %s%n";
            figures.forEach((k, v) -> out.printf(format, k, v));
        }
        out.flush();
    }

    static String line(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }
}
