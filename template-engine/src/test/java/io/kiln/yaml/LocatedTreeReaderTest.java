package io.kiln.yaml;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocatedTreeReaderTest {
    private static final LocatedTreeReader.Wording WORDING =
            new LocatedTreeReader.Wording("one document only", "tests", "YAML ");

    /** The smallest located error: what the shared reader needs from its callers. */
    static final class TestError extends LocatedException {
        private static final long serialVersionUID = 1L;

        TestError(int line, int column, String field, String reason, Throwable cause) {
            super("t.yaml", line, column, field, reason, cause);
        }
    }

    private static LocatedNode yaml(String text) {
        return LocatedTreeReader.read(text, LocatedTreeReader.Syntax.YAML, WORDING, TestError::new);
    }

    private static LocatedNode json(String text) {
        return LocatedTreeReader.read(text, LocatedTreeReader.Syntax.JSON, WORDING, TestError::new);
    }

    @Test
    void valuesRememberWhereTheyStart() {
        LocatedNode.Mapping top = (LocatedNode.Mapping) yaml("a: 1\nb:\n  - x\n  - true\nc:\n");
        LocatedNode.Entry b = top.entries().get("b");
        assertEquals(2, b.line());
        LocatedNode.Sequence items = (LocatedNode.Sequence) b.value();
        assertEquals(3, items.items().get(0).line());
        assertEquals(5, items.items().get(0).column());
        assertEquals(Boolean.TRUE, ((LocatedNode.Scalar) items.items().get(1)).value());
        assertEquals("an integer", top.entries().get("a").value().kind());
        assertTrue(LocatedNode.isNull(top.entries().get("c").value()), "an empty value is null");
        assertEquals("nothing (null)", LocatedNode.describe(top.entries().get("c").value()));
        assertNull(yaml(""));
    }

    @Test
    void nestingStopsAtTheReadersOwnBoundWithAMessage() {
        assertNotNull(json("[".repeat(LocatedTreeReader.MAX_DEPTH) + "]".repeat(LocatedTreeReader.MAX_DEPTH)));
        for (String deep : new String[] {"[".repeat(100_000), "a: " + "[".repeat(500), "{\"a\":".repeat(200)}) {
            TestError e = assertThrows(TestError.class, () -> {
                if (deep.startsWith("a:")) {
                    yaml(deep);
                } else {
                    json(deep);
                }
            });
            assertEquals("nested deeper than 64 levels (lists or mappings within each other)", e.reason(), e.getMessage());
            assertEquals(1, e.line());
        }
    }

    @Test
    void jsonKeepsItsLinesAndSaysJson() {
        LocatedNode.Mapping top = (LocatedNode.Mapping) json("{\n  \"a\": [1,\n    2.5]\n}");
        LocatedNode.Sequence a = (LocatedNode.Sequence) top.entries().get("a").value();
        assertEquals(3, a.items().get(1).line());
        assertEquals("a decimal number", a.items().get(1).kind());
        TestError e = assertThrows(TestError.class, () -> json("{\n  \"a\": 1,,\n}"));
        assertEquals(2, e.line());
        assertTrue(e.reason().startsWith("malformed JSON: "), e.getMessage());
        assertNotNull(e.getCause());
    }

    @Test
    void duplicateKeyNamesItsPathAndFirstLine() {
        TestError e = assertThrows(TestError.class, () -> yaml("top:\n  k: 1\n  k: 2\n"));
        assertEquals("t.yaml:3:3: top.k: duplicate key 'k' (first at line 2)", e.getMessage());
    }

    @Test
    void aliasesAndSecondDocumentsUseTheCallersWords() {
        TestError alias = assertThrows(TestError.class, () -> yaml("a: &x 1\nb: *x\n"));
        assertEquals("t.yaml:2:4: b: YAML aliases (*x) are not supported in tests; write the value out",
                alias.getMessage());
        TestError second = assertThrows(TestError.class, () -> yaml("a: 1\n---\nb: 2\n"));
        assertEquals("one document only", second.reason());
        assertEquals(3, second.line(), "where the second document's content starts");
    }

    @Test
    void malformedYamlPointsAtTheProblem() {
        TestError e = assertThrows(TestError.class, () -> yaml("a: [1, 2\nb: 3\n"));
        assertTrue(e.reason().startsWith("malformed YAML: "), e.getMessage());
        assertTrue(e.line() > 0, e.getMessage());
        assertInstanceOf(Exception.class, e.getCause());
    }

    @Test
    void placeAndFieldAreLeftOutWhenUnknown() {
        assertEquals("t.yaml: whole file", new TestError(0, 0, "", "whole file", null).getMessage());
        assertEquals("t.yaml:4: f: no column", new TestError(4, 0, "f", "no column", null).getMessage());
        assertEquals("t.yaml:4:2: f.g[0]: all", new TestError(4, 2, "f.g[0]", "all", null).getMessage());
        assertEquals("", new TestError(1, 1, null, "r", null).field());
        assertTrue(new TestError(1, 1, "", "r", null).isUserError());
    }
}
