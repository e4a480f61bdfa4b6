package io.kiln.template.internal;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The clang flags a descriptor may add. Templates are untrusted (they may come from a dependency) and
 * clang runs on build machines and nodes, so a flag is allowed only when it changes how the template's
 * own code is compiled and nothing else: no flag that names a file or folder (that could read or
 * write outside the template's tree: {@code -I}, {@code -include}, {@code -o}, {@code @file},
 * {@code -fplugin=}, {@code -fcrash-diagnostics-dir=}, {@code -ftime-trace}), none that passes options
 * to another tool ({@code -Wl,}, {@code -Wp,}, {@code -Xclang}, {@code -mllvm}), none that changes the
 * input language or target ({@code -x}, {@code -target}) or what Kiln relies on ({@code -g}, {@code -O}).
 * Allowed:
 * <ul>
 * <li>{@code -DNAME}, {@code -DNAME=VALUE}, {@code -UNAME}: the template's source could {@code #define} the
 *     same, so they add no power; VALUE is printable ASCII without spaces, quotes or backslashes;</li>
 * <li>{@code -Wname}, {@code -Wno-name}, {@code -Werror}, {@code -Werror=name}: warnings (no commas, so no
 *     {@code -Wl,}/{@code -Wa,}/{@code -Wp,});</li>
 * <li>{@code -std=c99|c11|c17|gnu99|gnu11|gnu17};</li>
 * <li>these code-generation switches, none of which names a file: {@link #F_FLAGS}.</li>
 * </ul>
 * Include folders are the descriptor's {@code includes:}, which are checked to lie in the tree.
 */
public final class CompileFlags {
    /** BPF CPU versions clang knows ({@code v4} needs clang 18 or later). {@code probe} is left out on purpose. */
    public static final List<String> CPUS = List.of("v1", "v2", "v3", "v4");

    /** The {@code -f} switches allowed, each with its {@code -fno-} form where clang has one. */
    public static final Set<String> F_FLAGS = Set.of(
            "-fno-builtin", "-fbuiltin", "-funroll-loops", "-fno-unroll-loops", "-fno-jump-tables", "-fjump-tables",
            "-fstrict-aliasing", "-fno-strict-aliasing", "-fwrapv", "-fno-wrapv", "-fshort-enums", "-fno-short-enums",
            "-fno-common", "-fcommon", "-fno-inline", "-fno-inline-functions", "-finline-functions",
            "-fsigned-char", "-funsigned-char", "-fno-zero-initialized-in-bss", "-fno-asynchronous-unwind-tables");

    public static final int MAX_FLAGS = 64;
    public static final int MAX_FLAG_LENGTH = 256;

    private static final Pattern DEFINE = Pattern.compile("-D[A-Za-z_][A-Za-z0-9_]*(=[!#-&(-\\[\\]-~]*)?");
    private static final Pattern UNDEFINE = Pattern.compile("-U[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern WARNING = Pattern.compile("-W(no-|error=|no-error=)?[a-z0-9][a-z0-9+_-]*(=[0-9]+)?");
    private static final Set<String> STANDARDS = Set.of("-std=c99", "-std=c11", "-std=c17", "-std=gnu99", "-std=gnu11",
            "-std=gnu17");

    private CompileFlags() {
    }

    /** Why {@code flag} is refused, or empty when it is allowed. */
    public static Optional<String> problem(String flag) {
        if (flag.length() > MAX_FLAG_LENGTH) {
            return Optional.of("longer than " + MAX_FLAG_LENGTH + " characters");
        }
        if (DEFINE.matcher(flag).matches() || UNDEFINE.matcher(flag).matches() || WARNING.matcher(flag).matches()
                || STANDARDS.contains(flag) || F_FLAGS.contains(flag)) {
            return Optional.empty();
        }
        String why;
        if (flag.startsWith("-I") || flag.startsWith("-isystem") || flag.startsWith("-include")
                || flag.startsWith("-iquote")) {
            why = "include folders go under includes: (relative to the descriptor, checked to lie in the template's tree)";
        } else if (flag.startsWith("-mcpu") || flag.startsWith("-march")) {
            why = "set the BPF CPU version with compile.cpu (one of " + String.join(", ", CPUS) + ")";
        } else if (flag.startsWith("-O") || flag.startsWith("-g")) {
            why = "Kiln always compiles with -O2 -g (the verifier needs optimized code, the loader needs BTF)";
        } else if (flag.startsWith("-D")) {
            why = "expected -DNAME or -DNAME=VALUE with a C identifier and a value of printable characters without"
                    + " spaces, quotes or backslashes";
        } else if (flag.startsWith("-W")) {
            why = "expected a warning switch such as -Wno-unused-function or -Werror=shadow; -Wl, -Wa, -Wp pass"
                    + " options to other tools";
        } else if (flag.startsWith("-f")) {
            why = "not one of the allowed -f switches (" + String.join(", ", new java.util.TreeSet<>(F_FLAGS)) + ")";
        } else {
            why = "not an allowed flag";
        }
        return Optional.of("flag '" + io.kiln.Excerpt.of(flag) + "' is not allowed: " + why
                + "; allowed: -DNAME[=VALUE], -UNAME, -W..., -std=c11 and the like, and a few -f switches");
    }
}
