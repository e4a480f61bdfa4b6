package io.kiln.compile;

import io.kiln.KilnException;
import io.kiln.compile.internal.BackendCrash;
import io.kiln.compile.internal.Confinement;
import io.kiln.compile.internal.DepFile;
import io.kiln.compile.internal.DiagnosticParser;
import io.kiln.compile.internal.FailureReport;
import io.kiln.compile.internal.ToolProcess;
import io.kiln.compile.internal.WorkDir;
import io.kiln.template.RenderedSource;
import io.kiln.template.TemplateDescriptor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Compiles rendered sources to BPF objects with clang: {@code -target bpf -O2 -g -Wall
 * -fno-color-diagnostics}, then the template's {@code compile:} flags ({@code -mcpu=vN} first), no shell, a time
 * limit, a clean environment, in a fresh temporary folder. The object's bytes depend only on the
 * source, the headers' contents and the compiler, never on the checkout or temp folder: prefix maps
 * rewrite include folders to their label and the compilation folder to {@code .}.
 */
public final class ClangCompiler {
    /** Fixed names inside the work folder; fixed so that the command line repeats exactly. */
    private static final String OBJECT = "kiln-out.o";
    private static final String DEPFILE = "kiln-deps.d";
    private static final String DEP_TARGET = "kiln-obj";
    private static final List<Path> SYSTEM_DIRS = List.of(Path.of("/usr/local/include"), Path.of("/usr/include"));

    private final Clang clang;
    private final Duration timeout;

    public ClangCompiler(Clang clang, Duration timeout) {
        this.clang = Objects.requireNonNull(clang, "clang");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, was " + timeout);
        }
    }

    public Clang clang() {
        return clang;
    }

    public Duration timeout() {
        return timeout;
    }

    /** The flags for {@code src}, real and as they enter variant keys, and the header search folders. */
    public Invocation invocation(RenderedSource src) {
        TemplateDescriptor template = src.template();
        List<String> flags = new ArrayList<>(List.of("-target", "bpf", "-O2", "-g", "-Wall", "-fno-color-diagnostics"));
        // The template's own (descriptor compile:, validated there) after Kiln's, so its -W flags win.
        flags.addAll(template.compile().clangFlags());
        List<String> keyFlags = new ArrayList<>(flags);
        List<Invocation.SearchDir> searchDirs = new ArrayList<>();
        Path root = template.root().toAbsolutePath().normalize();
        for (Path include : template.includeDirs()) {
            Path dir = include.toAbsolutePath().normalize();
            String label = root.equals(dir) ? "." : root.relativize(dir).toString();
            if (dir.toString().contains("=")) {
                throw new KilnException(subject(src) + ": include folder " + dir
                        + " contains '=', which clang's -ffile-prefix-map cannot express; move or rename it");
            }
            searchDirs.add(new Invocation.SearchDir(dir, label));
            flags.add("-I" + dir);
            keyFlags.add("-I" + label);
        }
        for (Invocation.SearchDir search : searchDirs) {
            flags.add("-ffile-prefix-map=" + search.dir() + "=" + search.label());
            keyFlags.add("-ffile-prefix-map=" + search.label() + "=" + search.label());
        }
        clang.multiarchIncludeDir().ifPresent(dir -> {
            searchDirs.add(new Invocation.SearchDir(dir, dir.toString()));
            flags.add("-I" + dir);
            keyFlags.add("-I" + dir);
        });
        if (clang.supportsDebugCompilationDir()) {
            flags.add("-fdebug-compilation-dir=.");
            keyFlags.add("-fdebug-compilation-dir=.");
        } else {
            keyFlags.add("-ffile-prefix-map=<work>=.");
        }
        SYSTEM_DIRS.forEach(dir -> searchDirs.add(new Invocation.SearchDir(dir, dir.toString())));
        return new Invocation(flags, keyFlags, searchDirs);
    }

    /**
     * Compiles {@code src} to an object and lists the headers clang read (from its {@code -MD} depfile).
     *
     * @throws CompileException when clang reports errors (the message names template file and line)
     * @throws KilnException    when clang times out (it is killed) or cannot be run
     */
    public CompileResult compile(RenderedSource src) {
        Invocation invocation = invocation(src);
        try (WorkDir work = WorkDir.create()) {
            List<String> command = command(invocation, work.path());
            command.addAll(List.of("-c", "-MD", "-MF", DEPFILE, "-MT", DEP_TARGET, src.fileName(), "-o", OBJECT));
            ToolProcess.Outcome outcome = run(src, command, work.path());
            List<Diagnostic> diagnostics = diagnostics(src, outcome);
            if (outcome.exitCode() != 0) {
                throw failure(src, command, outcome, diagnostics);
            }
            byte[] object = read(src, work.path().resolve(OBJECT));
            List<Path> headers = DepFile.headers(readText(src, work.path().resolve(DEPFILE)), work.path(),
                    src.fileName());
            confine(src, headers);
            return new CompileResult(object, headers, diagnostics, command, outcome.elapsed());
        }
    }

    /**
     * Runs only the preprocessor's dependency pass ({@code -M}, no code generation) and lists every
     * header {@code src} includes: cheap, and enough to compute the variant key.
     *
     * @throws CompileException when preprocessing fails (a missing header, an {@code #error})
     */
    public DependencyScan scanDependencies(RenderedSource src) {
        Invocation invocation = invocation(src);
        try (WorkDir work = WorkDir.create()) {
            List<String> command = command(invocation, work.path());
            command.addAll(List.of("-M", "-MF", DEPFILE, "-MT", DEP_TARGET, src.fileName()));
            ToolProcess.Outcome outcome = run(src, command, work.path());
            if (outcome.exitCode() != 0) {
                throw failure(src, command, outcome, diagnostics(src, outcome));
            }
            List<Path> headers = DepFile.headers(readText(src, work.path().resolve(DEPFILE)), work.path(),
                    src.fileName());
            confine(src, headers);
            return new DependencyScan(headers, command, outcome.elapsed());
        }
    }

    private List<String> command(Invocation invocation, Path work) {
        List<String> command = new ArrayList<>();
        command.add(clang.path().toString());
        command.addAll(invocation.flags());
        if (!clang.supportsDebugCompilationDir()) {
            command.add("-ffile-prefix-map=" + work + "=.");
        }
        return command;
    }

    private ToolProcess.Outcome run(RenderedSource src, List<String> command, Path work) {
        checkFileName(src);
        Confinement.checkSource(src.fileName(), src.text()).ifPresent(r -> {
            Path file = src.template().root().toAbsolutePath().normalize().resolve(r.file()).normalize();
            throw new ConfinementException(file + (r.line() > 0 ? ":" + r.line() : "") + ": " + r.reason()
                    + "\n(" + subject(src) + ")");
        });
        Path source = work.resolve(src.fileName());
        try {
            Files.writeString(source, src.text(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new KilnException(subject(src) + ": cannot write the rendered source to " + source + ": "
                    + e.getMessage(), e);
        }
        try {
            return ToolProcess.run(command, work, timeout);
        } catch (ToolProcess.TimedOut e) {
            throw new KilnException(subject(src) + ": clang " + e.getMessage() + " and was stopped; raise the"
                    + " compile timeout or simplify the template\ncommand: " + FailureReport.commandLine(command));
        } catch (KilnException e) {
            throw new KilnException(subject(src) + ": " + e.getMessage(), e);
        }
    }

    /** Every file clang read lies in the template's folders or the toolchain's headers. */
    private void confine(RenderedSource src, List<Path> dependencies) {
        List<Path> outside = new Confinement(src.template().includeDirs(), clang.path(), clang.multiarchIncludeDir())
                .outside(dependencies);
        if (!outside.isEmpty()) {
            throw new ConfinementException(src.template().templateFile() + ": the compile read " + outside
                    + ", outside the template's folders and the toolchain's headers; templates may include only"
                    + " from their folder, their include folders and the system headers\n(" + subject(src) + ")");
        }
    }

    /** A rendered source reaches for files it may not read: bad input, exit 2. */
    static final class ConfinementException extends KilnException {
        private static final long serialVersionUID = 1L;

        ConfinementException(String message) {
            super(message);
        }

        @Override
        public boolean isUserError() {
            return true;
        }
    }

    private static List<Diagnostic> diagnostics(RenderedSource src, ToolProcess.Outcome outcome) {
        return new DiagnosticParser(src.template().root().toAbsolutePath().normalize(), src.fileName())
                .parse(outcome.output());
    }

    private static CompileException failure(RenderedSource src, List<String> command, ToolProcess.Outcome outcome,
                                            List<Diagnostic> diagnostics) {
        String detail = "";
        if (diagnostics.stream().noneMatch(d -> d.severity().isError())) {
            // A backend error names no file: make it one diagnostic at the template line.
            var crash = BackendCrash.read(src.template().root().toAbsolutePath().normalize(), src.fileName(),
                    src.text(), outcome.output());
            if (crash.isPresent()) {
                diagnostics = new ArrayList<>(diagnostics);
                diagnostics.add(crash.get().diagnostic());
                detail = (crash.get().sourceLine().isEmpty() ? "" : "\n      " + crash.get().sourceLine())
                        + crash.get().hint().map(h -> "\n  hint: " + h).orElse("");
            }
        }
        String message = FailureReport.message(subject(src), "clang failed (exit " + outcome.exitCode() + ")",
                diagnostics, detail, outcome.output(), command);
        return new CompileException(message, command, outcome.exitCode(), diagnostics, outcome.output());
    }

    private static void checkFileName(RenderedSource src) {
        String name = src.fileName();
        if (name == null || name.isEmpty() || name.contains("/") || name.contains("\\") || name.startsWith(".")
                || name.startsWith("-") || name.startsWith("kiln-")) {
            throw new KilnException(subject(src) + ": rendered file name '" + name
                    + "' must be a plain file name (no folder, not starting with '.', '-' or 'kiln-')");
        }
    }

    private static byte[] read(RenderedSource src, Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new KilnException(subject(src) + ": clang succeeded but left no " + file.getFileName() + ": "
                    + e.getMessage(), e);
        }
    }

    private static String readText(RenderedSource src, Path file) {
        return new String(read(src, file), StandardCharsets.UTF_8);
    }

    /** {@code template hello (dropEnabled=true)}: how every message names a variant. */
    static String subject(RenderedSource src) {
        String parameters = src.parameters() == null ? "" : src.parameters().canonical();
        return "template " + src.template().name() + (parameters.isEmpty() ? "" : " (" + parameters + ")");
    }
}
