package io.kiln.maven.internal;

import io.kiln.KilnException;
import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugin.logging.Log;
import org.sonatype.plexus.build.incremental.BuildContext;
import org.sonatype.plexus.build.incremental.DefaultBuildContext;

/**
 * Reports template errors: to the log in {@code file:[line,col] message} form, as IDE markers through
 * the {@link BuildContext} when the build runs inside an IDE that provides one (m2e), and as a build
 * failure (not an error: the input is at fault) with a short and a long message.
 */
public final class Reporter {
    private final Log log;
    private final BuildContext ide;

    /** {@code context} may be null; the command line's default context is not an IDE and gets no markers. */
    public Reporter(Log log, BuildContext context) {
        this.log = log;
        this.ide = context == null || context instanceof DefaultBuildContext ? null : context;
    }

    /** Clears the markers of earlier builds on these files. */
    public void clear(Collection<Path> files) {
        if (ide != null) {
            files.forEach(f -> ide.removeMessages(f.toFile()));
        }
    }

    public void warn(Problem p) {
        log.warn(p.toString());
        mark(p, BuildContext.SEVERITY_WARNING);
    }

    /**
     * Logs every problem of every error and returns the failure to throw: its short message is the first
     * problem, its long message every exception's full message (with the tool output they carry).
     */
    public MojoFailureException failure(String what, List<? extends KilnException> errors) {
        List<Problem> problems = new ArrayList<>();
        for (KilnException e : errors) {
            problems.addAll(Problem.of(e));
        }
        for (Problem p : problems) {
            log.error(p.toString());
            mark(p, BuildContext.SEVERITY_ERROR);
        }
        String first = problems.get(0).toString();
        String shortMessage = what + ": " + firstLine(first)
                + (problems.size() > 1 ? " (and " + (problems.size() - 1) + " more error(s))" : "");
        StringBuilder details = new StringBuilder();
        for (KilnException e : errors) {
            details.append(details.length() == 0 ? "" : "\n\n").append(e.getMessage());
        }
        return new MojoFailureException(this, shortMessage, details.toString());
    }

    private void mark(Problem p, int severity) {
        if (ide != null && p.file() != null) {
            File f = p.file().toFile();
            ide.addMessage(f, p.line(), p.column(), p.message(), severity, null);
        }
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
