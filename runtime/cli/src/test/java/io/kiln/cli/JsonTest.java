package io.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    private static String print(Map<String, ?> figures, boolean json) {
        StringWriter s = new StringWriter();
        Json.printFigures(new PrintWriter(s), figures, json);
        return s.toString();
    }

    @Test
    void figuresAreOneJsonLineOrAlignedKeyValueLines() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a", 1);
        m.put("longerKey", "x");
        m.put("nested", Map.of("p50", 2.5));
        assertEquals("{\"a\":1,\"longerKey\":\"x\",\"nested\":{\"p50\":2.5}}" + System.lineSeparator(), print(m, true));
        String n = System.lineSeparator();
        assertEquals("a         1" + n + "longerKey x" + n + "nested    {p50=2.5}" + n, print(m, false));
    }

    @Test
    void noFiguresPrintNothingAsText() {
        assertEquals("", print(Map.of(), false));
        assertEquals("{}" + System.lineSeparator(), print(Map.of(), true));
    }
}
