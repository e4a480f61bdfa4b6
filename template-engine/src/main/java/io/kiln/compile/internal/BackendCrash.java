package io.kiln.compile.internal;

import io.kiln.compile.Diagnostic;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An LLVM backend error ({@code fatal error: error in backend: ...}, usually followed by "PLEASE submit a
 * bug report" and a stack dump) as one diagnostic at a template line. The backend names no file: the
 * BPF backend says {@code line N:} (a debug location, so after the renderer's {@code #line} directives
 * it is a template line), and the stack dump names the function ({@code on function '@NAME'}). The
 * line is looked up among the rendered source's lines; when the function's own file has it, that file
 * is the answer, else the only template file that has it, else the function's definition.
 */
public final class BackendCrash {
    private static final Pattern BACKEND = Pattern.compile("^(?:fatal )?error: error in backend: (?:line (\\d+): )?(.*)$",
            Pattern.MULTILINE);
    private static final Pattern FUNCTION = Pattern.compile("on function '@([A-Za-z_][A-Za-z0-9_]*)'");
    private static final Pattern LINE_DIRECTIVE = Pattern.compile("^\\s*#\\s*line\\s+(\\d+)(?:\\s+\"([^\"]*)\")?");

    /** Where the crash points: a file, a line, the rendered text of that line (empty if unknown). */
    public record Place(Path file, int line, String text) {
    }

    /** The diagnostic, its place's source text and a hint; empty when the output holds no backend error. */
    public record Report(Diagnostic diagnostic, String sourceLine, Optional<String> hint) {
    }

    private BackendCrash() {
    }

    /**
     * @param root         the template root (relative {@code #line} files resolve against it)
     * @param renderedName the rendered file's name, as clang saw it
     * @param rendered     the rendered source
     * @param output       clang's output
     */
    public static Optional<Report> read(Path root, String renderedName, String rendered, String output) {
        Matcher m = BACKEND.matcher(output);
        if (!m.find()) {
            return Optional.empty();
        }
        int line = m.group(1) == null ? 0 : Integer.parseInt(m.group(1));
        String what = m.group(2).strip();
        Matcher f = FUNCTION.matcher(output);
        String function = f.find() ? f.group(1) : null;
        List<Place> places = places(root, renderedName, rendered);
        Optional<Place> definition = function == null ? Optional.empty() : definition(places, function);
        Optional<Place> at = Optional.empty();
        if (line > 0) {
            List<Place> candidates = places.stream().filter(p -> p.line() == line).toList();
            at = candidates.stream().filter(p -> definition.isPresent() && p.file().equals(definition.get().file()))
                    .findFirst();
            if (at.isEmpty() && candidates.stream().map(Place::file).distinct().count() == 1) {
                at = Optional.of(candidates.get(0));
            }
        }
        String message = "error in backend (LLVM crashed" + (function == null ? "" : " compiling " + function) + "): "
                + what + (line > 0 && at.isEmpty() ? " (at line " + line + " of a header the template includes)" : "");
        Place place = at.or(() -> definition).orElse(new Place(root.resolve(renderedName), 0, ""));
        Diagnostic d = new Diagnostic(place.file(), place.line(), place.line() > 0 ? 1 : 0,
                Diagnostic.Severity.FATAL_ERROR, message);
        return Optional.of(new Report(d, place.text().strip(), hint(what)));
    }

    /** What to do about the backend errors template authors meet. */
    static Optional<String> hint(String what) {
        if (what.contains("XADD return value") || what.contains("Unsupported atomic operations")) {
            return Optional.of("an atomic operation whose result is used needs BPF CPU v3 or later: add"
                    + " compile: { cpu: v3 } to the template's descriptor");
        }
        if (what.contains("dynamic stack allocation")) {
            return Optional.of("BPF has no variable-length arrays: give the array a constant size");
        }
        if (what.contains("Looks like the BPF stack limit")) {
            return Optional.of("the BPF stack holds 512 bytes: move large buffers into a per-CPU array map");
        }
        return Optional.empty();
    }

    /** The file and line each rendered line stands for, following {@code #line} directives. */
    static List<Place> places(Path root, String renderedName, String rendered) {
        List<Place> out = new ArrayList<>();
        Path file = root.resolve(renderedName);
        int line = 1;
        for (String text : rendered.split("\n", -1)) {
            Matcher d = LINE_DIRECTIVE.matcher(text);
            if (d.find()) {
                line = Integer.parseInt(d.group(1));
                if (d.group(2) != null) {
                    Path p = Path.of(d.group(2));
                    file = p.isAbsolute() ? p.normalize() : root.resolve(p).normalize();
                }
                continue;
            }
            out.add(new Place(file, line, text));
            line++;
        }
        return out;
    }

    private static Optional<Place> definition(List<Place> places, String function) {
        Pattern def = Pattern.compile("\\b" + function + "\\s*\\(");
        return places.stream().filter(p -> def.matcher(p.text()).find() && !p.text().strip().endsWith(";")).findFirst();
    }
}
