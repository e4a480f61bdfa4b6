package io.kiln.compile;

import io.kiln.KilnException;
import io.kiln.compile.internal.ToolProcess;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A located, version-checked clang. Kiln needs clang 11 or newer: BTF for every object and
 * {@code volatile const} globals kept in {@code .rodata} so constants can be set at load time.
 *
 * <p>{@link #identity()} names the compiler build inside variant keys. It is the first line of
 * {@code clang --version} (vendor, version and, for source builds, the LLVM revision) plus its
 * {@code Target:} line; deliberately not the binary's path, size or mtime, which differ between
 * machines that have the very same package installed and would split the cache for nothing. The
 * price: two differently patched clangs that print the same version line share keys.
 */
public final class Clang {
    /** Oldest major version Kiln accepts. */
    public static final int MINIMUM_MAJOR = 11;

    private static final Pattern VERSION = Pattern.compile("(?:clang|LLVM) version (\\d+)\\.(\\d+)(?:\\.(\\d+))?");
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(30);
    private static final String INSTALL_HINT = "install it with 'apt-get install clang' or point KILN_CLANG at it";

    private final Path path;
    private final String version;
    private final int major;
    private final String identity;
    private final String multiarch;

    private Clang(Path path, String version, int major, String identity, String multiarch) {
        this.path = path;
        this.version = version;
        this.major = major;
        this.identity = identity;
        this.multiarch = multiarch;
    }

    /**
     * Finds clang: {@code explicitOrNull} if given, else env {@code KILN_CLANG}, else {@code clang}
     * (then {@code clang-19} down to {@code clang-11}) on {@code PATH}, and checks its version.
     *
     * @throws ClangNotFoundException with one actionable line when none is usable
     */
    public static Clang locate(Path explicitOrNull) {
        return locate(explicitOrNull, System.getenv());
    }

    static Clang locate(Path explicitOrNull, Map<String, String> env) {
        if (explicitOrNull != null) {
            return probeRequired(explicitOrNull, "explicit path");
        }
        String fromEnv = env.get("KILN_CLANG");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return probeRequired(Path.of(fromEnv.trim()), "KILN_CLANG");
        }
        List<Path> found = onPath(env.getOrDefault("PATH", ""));
        if (found.isEmpty()) {
            throw new ClangNotFoundException("clang not found (looked at --clang, KILN_CLANG, PATH): " + INSTALL_HINT);
        }
        ClangNotFoundException firstProblem = null;
        for (Path candidate : found) {
            try {
                return probe(candidate);
            } catch (ClangNotFoundException e) {
                // an old 'clang' may sit beside a usable 'clang-14'; report the first problem only if none fits
                firstProblem = firstProblem == null ? e : firstProblem;
            }
        }
        throw firstProblem;
    }

    private static Clang probeRequired(Path candidate, String source) {
        if (!Files.isRegularFile(candidate) || !Files.isExecutable(candidate)) {
            throw new ClangNotFoundException("clang not found at " + candidate + " (" + source
                    + "): no such executable file; " + INSTALL_HINT);
        }
        return probe(candidate);
    }

    private static List<Path> onPath(String pathVariable) {
        List<String> names = new ArrayList<>();
        names.add("clang");
        for (int v = 19; v >= MINIMUM_MAJOR; v--) {
            names.add("clang-" + v);
        }
        List<Path> found = new ArrayList<>();
        for (String name : names) {
            for (String dir : pathVariable.split(File.pathSeparator)) {
                if (dir.isEmpty()) {
                    continue;
                }
                Path candidate = Path.of(dir, name);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    found.add(candidate.toAbsolutePath());
                    break;
                }
            }
        }
        return found;
    }

    private static Clang probe(Path candidate) {
        Path path = candidate.toAbsolutePath().normalize();
        String output = runProbe(path, "--version").strip();
        Matcher m = VERSION.matcher(output);
        if (!m.find()) {
            String first = output.lines().findFirst().orElse("(no output)");
            throw new ClangNotFoundException(path + " does not look like clang ('--version' said: " + first
                    + "); " + INSTALL_HINT);
        }
        String version = m.group(1) + "." + m.group(2) + "." + (m.group(3) == null ? "0" : m.group(3));
        int major = Integer.parseInt(m.group(1));
        if (major < MINIMUM_MAJOR) {
            throw new ClangNotFoundException("clang " + version + " at " + path + " is too old: Kiln needs clang >= "
                    + MINIMUM_MAJOR + " for BTF and .rodata constants; install a newer one ('apt-get install clang')"
                    + " or point KILN_CLANG at it");
        }
        List<String> lines = output.lines().toList();
        String target = lines.stream().filter(l -> l.startsWith("Target:")).findFirst().orElse("Target: unknown");
        String identity = lines.get(0).strip() + " / " + target.strip();
        String multiarch = runProbe(path, "-print-multiarch").strip();
        return new Clang(path, version, major, identity, multiarch);
    }

    private static String runProbe(Path path, String flag) {
        Path dir = Path.of(System.getProperty("java.io.tmpdir"));
        try {
            ToolProcess.Outcome outcome = ToolProcess.run(List.of(path.toString(), flag), dir, PROBE_TIMEOUT);
            return outcome.exitCode() == 0 ? outcome.output() : "";
        } catch (ToolProcess.TimedOut e) {
            throw new ClangNotFoundException(path + " " + flag + " " + e.getMessage() + "; " + INSTALL_HINT);
        } catch (KilnException e) {
            throw new ClangNotFoundException("cannot run " + path + ": " + e.getMessage() + "; " + INSTALL_HINT, e);
        }
    }

    /** Absolute path of the clang executable (as found, symlinks not resolved). */
    public Path path() {
        return path;
    }

    /** Version as {@code major.minor.patch}, e.g. {@code 14.0.6}. */
    public String version() {
        return version;
    }

    public int majorVersion() {
        return major;
    }

    /**
     * Names the compiler build in variant keys, e.g. {@code Debian clang version 14.0.6 / Target:
     * x86_64-pc-linux-gnu}: stable across machines with the same clang package (see class comment).
     */
    public String identity() {
        return identity;
    }

    /** Debian multiarch triple of the host, e.g. {@code x86_64-linux-gnu}, if clang reports one. */
    public Optional<String> multiarch() {
        return multiarch.isEmpty() ? Optional.empty() : Optional.of(multiarch);
    }

    /**
     * The folder holding the host's {@code asm/} headers ({@code /usr/include/<multiarch>}), which
     * {@code -target bpf} does not search by itself but {@code <linux/types.h>} needs.
     */
    public Optional<Path> multiarchIncludeDir() {
        return multiarch().map(t -> Path.of("/usr/include", t)).filter(Files::isDirectory);
    }

    /** clang 13 made {@code -fdebug-compilation-dir=} a driver flag. */
    boolean supportsDebugCompilationDir() {
        return major >= 13;
    }

    @Override
    public String toString() {
        return "clang " + version + " at " + path;
    }
}
