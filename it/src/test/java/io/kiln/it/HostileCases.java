package io.kiln.it;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every case of the hostile-input suite shares: a case is a name (the row of
 * docs/hostile-inputs.md), the input in a few words, and what it must get (an exit code or HTTP
 * status, and the place and words its message must hold). The checks every case gets: the code,
 * the message's place and words, no stack trace, a short message (a huge input is not echoed back).
 */
final class HostileCases {
    /** The human table; each case's name is a row of it. */
    static final Path DOC = Path.of(System.getProperty("kiln.home", "..")).toAbsolutePath().normalize()
            .resolve("docs/hostile-inputs.md");
    /** A message may quote a bad value, but only a short prefix of it. */
    static final int MAX_MESSAGE_CHARS = 2000;

    private HostileCases() {
    }

    /** What a case must get. {@code place} is the file and line or the field; {@code expected} the words. */
    record Case(String name, String input, int code, String place, String expected, Attempt attempt) {
    }

    /** What a case got: the exit code or HTTP status, and the message (stderr, or the answer's body). */
    record Outcome(int code, String message) {
        String firstLine() {
            return message.strip().lines().findFirst().orElse("");
        }
    }

    @FunctionalInterface
    interface Attempt {
        Outcome run() throws Exception;
    }

    /** The rows of each suite's table as they ran, for {@link #writeTable}. */
    private static final Map<String, List<String>> ROWS = new TreeMap<>();

    /** Runs a case of {@code suite} and checks what every case must hold; returns the outcome. */
    static Outcome check(String suite, Case c) throws Exception {
        long start = System.nanoTime();
        Outcome o = c.attempt().run();
        long millis = (System.nanoTime() - start) / 1_000_000;
        String row = "| `" + c.name() + "` | " + c.input() + " | " + o.code() + " | "
                + excerpt(o.message().strip().replaceAll("/tmp/junit-?[0-9]+/", "…/")) + " |";
        synchronized (ROWS) {
            ROWS.computeIfAbsent(suite, k -> new ArrayList<>()).add(row);
        }
        System.out.printf("hostile | %s | %d | %s | %d ms%n", c.name(), o.code(), excerpt(o.firstLine()), millis);
        String all = c.name() + ": got " + o.code() + ": " + collapse(o.message());
        System.out.println(all);
        assertEquals(c.code(), o.code(), all);
        assertTrue(o.message().contains(c.place()), c.name() + ": the message names " + c.place() + ": " + all);
        assertTrue(o.message().contains(c.expected()), c.name() + ": the message says " + c.expected() + ": " + all);
        assertFalse(o.message().contains("\tat ") || o.message().contains("Exception in thread"),
                c.name() + ": a stack trace: " + all);
        assertTrue(o.message().length() <= MAX_MESSAGE_CHARS, c.name() + ": " + o.message().length()
                + " characters of message: " + all);
        return o;
    }

    /** Runs of one character longer than 40 shown as {@code <N x 'c'>}, to read what a huge input made of a message. */
    static String collapse(String s) {
        Matcher m = Pattern.compile("(.)\\1{40,}", Pattern.DOTALL).matcher(s);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(b, Matcher.quoteReplacement("<" + m.group().length() + " x '" + m.group(1) + "'>"));
        }
        m.appendTail(b);
        return b.toString();
    }

    static String excerpt(String s) {
        String one = collapse(s).replace('\n', ' ').replace("|", "\\|");
        return one.length() <= 200 ? one : one.substring(0, 197) + "...";
    }

    /**
     * Writes the rows of {@code suite} as they ran to {@code target/hostile-inputs-SUITE.md}: what
     * docs/hostile-inputs.md shows (its rows are these, with paths shortened by hand).
     */
    static void writeTable(String suite) throws IOException {
        List<String> rows;
        synchronized (ROWS) {
            rows = ROWS.getOrDefault(suite, List.of());
        }
        if (!rows.isEmpty()) {
            Files.write(Path.of("target", "hostile-inputs-" + suite + ".md"), rows);
        }
    }

    /** Every case of a suite has its row in docs/hostile-inputs.md (first column, in backquotes), and no row is stale. */
    static void assertDocumented(String suite, List<Case> cases) throws IOException {
        Set<String> rows = documentedCases(suite);
        List<String> missing = new ArrayList<>();
        Set<String> names = new LinkedHashSet<>();
        for (Case c : cases) {
            names.add(c.name());
            if (!rows.contains(c.name())) {
                missing.add(c.name());
            }
        }
        assertEquals(cases.size(), names.size(), "case names are unique: " + cases.stream().map(Case::name).toList());
        assertTrue(missing.isEmpty(), DOC + " has no row for " + missing);
        rows.removeAll(names);
        assertTrue(rows.isEmpty(), DOC + " has rows no test runs (section " + suite + "): " + rows);
    }

    /** The case names in the rows of the doc's section {@code ## ... (suite)}. */
    static Set<String> documentedCases(String suite) throws IOException {
        Set<String> out = new LinkedHashSet<>();
        boolean in = false;
        Pattern row = Pattern.compile("^\\| `([a-z0-9-]+)` \\|");
        for (String line : Files.readAllLines(DOC)) {
            if (line.startsWith("## ")) {
                in = line.contains("(" + suite + ")");
            } else if (in) {
                Matcher m = row.matcher(line);
                if (m.find()) {
                    out.add(m.group(1));
                }
            }
        }
        return out;
    }

    /** Every regular file under {@code root} and its SHA-256: what a case must leave as it was. */
    static Map<String, String> digests(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        if (!Files.exists(root)) {
            return out;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                out.put(root.relativize(p).toString(), sha256(p));
            }
        }
        return out;
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                d.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
