package io.kiln.demo;

import java.io.PrintWriter;

/** The demo's output: numbered steps with short indented lines under them, flushed as they come. */
final class Narrator {
    private final PrintWriter out;
    private int step;

    Narrator(PrintWriter out) {
        this.out = out;
    }

    void step(String title) {
        step++;
        out.println();
        out.printf("%d. %s%n", step, title);
        out.flush();
    }

    void line(String format, Object... args) {
        out.println("   " + String.format(format, args));
        out.flush();
    }

    void plain(String text) {
        out.println(text);
        out.flush();
    }

    int steps() {
        return step;
    }
}
