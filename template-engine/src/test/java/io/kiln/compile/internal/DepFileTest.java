package io.kiln.compile.internal;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class DepFileTest {
    private static final Path WORK = Path.of("/tmp/work");

    @Test
    void continuationsEscapesAndDuplicates() {
        String text = "kiln-obj: hello.bpf.c /usr/include/linux/bpf.h \\\n"
                + "  /src/my\\ lib/a\\#b.h /src/cost$$.h \\\r\n"
                + "  /src/lib/../lib/x.h /usr/include/linux/bpf.h\n";
        assertEquals(List.of(Path.of("/usr/include/linux/bpf.h"), Path.of("/src/my lib/a#b.h"), Path.of("/src/cost$.h"),
                Path.of("/src/lib/x.h")), DepFile.headers(text, WORK, "hello.bpf.c"));
    }

    @Test
    void relativeNamesAreResolvedInTheWorkFolder() {
        assertEquals(List.of(Path.of("/tmp/work/local.h")),
                DepFile.headers("kiln-obj: hello.bpf.c local.h\n", WORK, "hello.bpf.c"));
    }

    @Test
    void aBackslashInsideANameStays() {
        assertEquals(List.of("t:", "/a\\b.h"), DepFile.words("t: /a\\b.h"));
    }

    @Test
    void noHeaders() {
        assertEquals(List.of(), DepFile.headers("kiln-obj: hello.bpf.c\n", WORK, "hello.bpf.c"));
        assertEquals(List.of(), DepFile.headers("", WORK, "hello.bpf.c"));
    }
}
