package io.kiln.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** io.kiln.runtime.maps.DropReason and DropReason mirror include/kiln/drop_reasons.h exactly: same names, same numbers. */
class DropReasonMirrorTest {
    private static final Pattern REASON = Pattern.compile("^#define REASON_([A-Z0-9_]+)\\s+(\\d+)\\s", Pattern.MULTILINE);

    @Test
    void javaListEqualsTheHeader() throws Exception {
        String header = Files.readString(Path.of("src/main/bpf/include/kiln/drop_reasons.h"));
        Map<String, Integer> inC = new TreeMap<>();
        Matcher m = REASON.matcher(header);
        while (m.find()) {
            inC.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        Map<String, Integer> inJava = new TreeMap<>();
        for (DropReason r : DropReason.values()) {
            inJava.put(r.name(), r.code());
        }
        assertEquals(inC, inJava);
        Map<String, Integer> inProduction = new TreeMap<>();
        for (io.kiln.runtime.maps.DropReason r : io.kiln.runtime.maps.DropReason.values()) {
            inProduction.put(r.name(), r.code());
        }
        assertEquals(inC, inProduction, "io.kiln.runtime.maps.DropReason, the list the agent's drop counters use");
        assertEquals(DropReason.MAX, Integer.parseInt(header.replaceAll("(?s).*#define KILN_REASON_MAX\\s+(\\d+).*", "$1")));
        assertEquals(DropReason.FIRST_DROP,
                Integer.parseInt(header.replaceAll("(?s).*#define KILN_REASON_FIRST_DROP\\s+(\\d+).*", "$1")));
    }
}
