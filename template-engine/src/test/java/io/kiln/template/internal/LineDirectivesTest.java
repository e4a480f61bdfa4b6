package io.kiln.template.internal;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LineDirectivesTest {
    private static String m(String file, int line) {
        return LineMarkers.marker(file, line);
    }

    @Test
    void directivesOnlyWhereTheNextLineIsNotTheNaturalOne() {
        String out = LineDirectives.apply(m("a", 1) + "x\n" + m("a", 2) + "y\n" + m("a", 5) + "z\nw\n");
        assertEquals("#line 1 \"a\"\nx\ny\n#line 5 \"a\"\nz\nw\n", out);
    }

    @Test
    void switchingFilesAndBack() {
        String out = LineDirectives.apply(m("a", 1) + "x\n" + m("b", 1) + "y\n" + m("a", 2) + "z\n");
        assertEquals("#line 1 \"a\"\nx\n#line 1 \"b\"\ny\n#line 2 \"a\"\nz\n", out);
    }

    @Test
    void linesBeforeAnyMarkerAndBlankLinesGetNone() {
        assertEquals("pre\n\n#line 3 \"a\"\nx\n", LineDirectives.apply("pre\n\n" + m("a", 3) + "x\n"));
        assertEquals("#line 1 \"a\"\nx\n   \n\n#line 9 \"a\"\ny", LineDirectives.apply(m("a", 1) + "x\n   \n\n" + m("a", 9) + "y"));
    }

    @Test
    void aMarkerAfterOutputStartedMovesTheNextLines() {
        String out = LineDirectives.apply(m("a", 1) + "x " + m("a", 7) + "y\nz\n");
        assertEquals("#line 1 \"a\"\nx y\n#line 8 \"a\"\nz\n", out);
    }

    @Test
    void theLastMarkerBeforeOutputWins() {
        assertEquals("#line 4 \"a\"\n  x\n", LineDirectives.apply("  " + m("a", 3) + m("a", 4) + "x\n"));
    }

    @Test
    void conditionalsForgetWhatTheCompilerKnows() {
        String out = LineDirectives.apply(m("a", 1) + "#if X\n" + m("a", 2) + "x\n" + m("a", 3) + "#endif\n"
                + m("a", 4) + "y\n");
        assertEquals("#line 1 \"a\"\n#if X\n#line 2 \"a\"\nx\n#endif\n#line 4 \"a\"\ny\n", out);
    }

    @Test
    void commentsAndStringsAreFollowed() {
        String out = LineDirectives.apply(m("a", 1) + "char *s = \"/*\"; // /*\n" + m("a", 5) + "x\n");
        assertEquals("#line 1 \"a\"\nchar *s = \"/*\"; // /*\n#line 5 \"a\"\nx\n", out);
        out = LineDirectives.apply(m("a", 1) + "/* a\n" + m("a", 4) + "b */ x\n" + m("a", 3) + "y\n");
        assertEquals("#line 1 \"a\"\n/* a\n\n\nb */ x\n#line 3 \"a\"\ny\n", out);
    }

    @Test
    void fileNamesAreEscaped() {
        assertEquals("#line 1 \"we\\\"ird\\\\name\"\nx", LineDirectives.apply(m("we\"ird\\name", 1) + "x"));
    }

    @Test
    void malformedMarkersAreDropped() {
        assertEquals("xy\n", LineDirectives.apply("x\uE000nonsense\uE001y\n"));
        assertEquals("xy\n", LineDirectives.apply("x\uE000y\n"));
    }
}
