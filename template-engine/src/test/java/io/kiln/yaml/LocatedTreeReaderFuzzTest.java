package io.kiln.yaml;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzz tests of the located YAML/JSON reader every descriptor and spec goes through. The contract:
 * any text either reads into a tree whose every value has a place (line and column from 1), or is
 * refused with a {@link LocatedException} that gives a reason. Any other exception or error
 * (index, null pointer, stack overflow, out of memory) and any input slower than the timeout is a
 * finding.
 *
 * <p>By default (no {@code JAZZER_FUZZ}) each method replays its seeds and past findings under
 * {@code src/test/resources/io/kiln/yaml/LocatedTreeReaderFuzzTestInputs/<method>/}; README.md (Fuzzing)
 * says how to fuzz for real.
 */
class LocatedTreeReaderFuzzTest {
    private static final LocatedTreeReader.Wording WORDING =
            new LocatedTreeReader.Wording("one document only", "tests", "YAML ");

    static final class FuzzError extends LocatedException {
        private static final long serialVersionUID = 1L;

        FuzzError(int line, int column, String field, String reason, Throwable cause) {
            super("fuzz.yaml", line, column, field, reason, cause);
        }
    }

    @FuzzTest(maxDuration = "3m")
    @Timeout(5)
    void yaml(byte[] input) {
        read(input, LocatedTreeReader.Syntax.YAML);
    }

    @FuzzTest(maxDuration = "3m")
    @Timeout(5)
    void json(byte[] input) {
        read(input, LocatedTreeReader.Syntax.JSON);
    }

    private static void read(byte[] input, LocatedTreeReader.Syntax syntax) {
        String text = new String(input, StandardCharsets.UTF_8);
        LocatedNode root;
        try {
            root = LocatedTreeReader.read(text, syntax, WORDING, FuzzError::new);
        } catch (LocatedException e) {
            checkRefusal(e);
            return;
        }
        if (root != null) {
            checkPlaces(root, 0);
        }
    }

    /** A refusal a user can act on: a reason, and a place that is either known (from 1) or 0. */
    static void checkRefusal(LocatedException e) {
        assertNotNull(e.reason(), "a located error without a reason");
        assertFalse(e.reason().isBlank(), "a located error with a blank reason: " + e.getMessage());
        assertTrue(e.line() >= 0 && e.column() >= 0, "a negative place: " + e.getMessage());
    }

    private static void checkPlaces(LocatedNode node, int depth) {
        assertTrue(node.line() >= 1 && node.column() >= 1,
                "a value read from text without a place: line " + node.line() + ", column " + node.column());
        assertNotNull(node.kind());
        if (depth > 10_000) {
            return;
        }
        if (node instanceof LocatedNode.Mapping m) {
            for (LocatedNode.Entry e : m.entries().values()) {
                assertNotNull(e.key());
                assertTrue(e.line() >= 1, "key '" + e.key() + "' without a line");
                checkPlaces(e.value(), depth + 1);
            }
        } else if (node instanceof LocatedNode.Sequence s) {
            for (LocatedNode item : s.items()) {
                checkPlaces(item, depth + 1);
            }
        } else {
            assertNotNull(((LocatedNode.Scalar) node).text());
        }
    }
}
