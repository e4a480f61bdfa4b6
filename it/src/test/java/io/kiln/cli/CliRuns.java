package io.kiln.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the kiln command in this JVM and keeps what it printed. */
public final class CliRuns {
    private CliRuns() {
    }

    public record Run(int exit, String out, String err) {
    }

    public static Run kiln(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(exit, out.toString(), err.toString());
    }
}
