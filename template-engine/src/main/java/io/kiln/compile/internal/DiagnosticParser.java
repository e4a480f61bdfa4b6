package io.kiln.compile.internal;

import io.kiln.compile.Diagnostic;
import io.kiln.compile.Diagnostic.Severity;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Picks {@code file:line:col: severity: message} lines out of clang's output. Relative file names come
 * from the renderer's {@code #line} directives and are relative to the template root; the one
 * exception is the rendered source itself (when a template emits no {@code #line}), which exists
 * only in clang's work folder and is reported under its bare name.
 */
public final class DiagnosticParser {
    private static final Pattern LINE = Pattern.compile(
            "^(.+?):(\\d+):(\\d+): (fatal error|error|warning|note|remark): (.*)$");

    private final Path root;
    private final String renderedName;

    public DiagnosticParser(Path root, String renderedName) {
        this.root = root;
        this.renderedName = renderedName;
    }

    public List<Diagnostic> parse(String output) {
        List<Diagnostic> diagnostics = new ArrayList<>();
        output.lines().forEach(line -> {
            Matcher m = LINE.matcher(line);
            if (m.matches()) {
                diagnostics.add(new Diagnostic(resolve(m.group(1)), Integer.parseInt(m.group(2)),
                        Integer.parseInt(m.group(3)), severity(m.group(4)), m.group(5)));
            }
        });
        return diagnostics;
    }

    private Path resolve(String file) {
        Path path = Path.of(file);
        if (path.isAbsolute() || file.equals(renderedName)) {
            return path.normalize();
        }
        return root.resolve(path).normalize();
    }

    private static Severity severity(String label) {
        return switch (label) {
            case "fatal error" -> Severity.FATAL_ERROR;
            case "error" -> Severity.ERROR;
            case "warning" -> Severity.WARNING;
            case "remark" -> Severity.REMARK;
            default -> Severity.NOTE;
        };
    }
}
