package io.kiln.compile.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What clang may read for a template, since templates are untrusted and the agent compiles as root:
 * files under the template's folder and include folders, and the toolchain's own headers. The
 * rendered source is checked before clang runs (no {@code #include} of an absolute path, no
 * assembler {@code .incbin}, which would read a file unseen by the depfile and the variant key),
 * and every dependency clang reports is checked after.
 */
public final class Confinement {
    private static final Pattern ABSOLUTE_INCLUDE = Pattern.compile("^\\s*#\\s*(?:include|include_next|import|embed)\\s*[<\"]\\s*/");
    private static final Pattern INCBIN = Pattern.compile("\\bincbin\\b", Pattern.CASE_INSENSITIVE);
    private static final Pattern LINE = Pattern.compile("^#line (\\d+) \"((?:[^\"\\\\]|\\\\.)*)\"");

    private final List<Path> allowed;

    /** {@code templateDirs}: the template's folder and include folders; {@code clang}: the compiler binary. */
    public Confinement(List<Path> templateDirs, Path clang, Optional<Path> multiarchIncludeDir) {
        List<Path> dirs = new ArrayList<>();
        templateDirs.forEach(d -> dirs.add(real(d)));
        dirs.add(Path.of("/usr/include"));
        dirs.add(Path.of("/usr/local/include"));
        dirs.add(Path.of("/usr/lib/clang"));
        dirs.add(Path.of("/usr/lib64/clang"));
        multiarchIncludeDir.ifPresent(d -> dirs.add(real(d)));
        // clang's resource headers (stddef.h, ...) live in its install prefix, e.g. /usr/lib/llvm-16.
        Path prefix = real(clang).getParent() == null ? null : real(clang).getParent().getParent();
        if (prefix != null && prefix.getNameCount() > 1) {
            dirs.add(prefix);
        } else if (prefix != null) {
            dirs.add(prefix.resolve("lib/clang"));
        }
        this.allowed = List.copyOf(dirs);
    }

    /** A place in the template the rendered line came from, or the rendered line when no #line precedes it. */
    public record Refusal(String file, int line, String reason) {
    }

    /** The first forbidden construct in the rendered C, if any. */
    public static Optional<Refusal> checkSource(String renderedName, String text) {
        String file = renderedName;
        int line = 0;
        int rendered = 0;
        for (String l : text.split("\n", -1)) {
            rendered++;
            line++;
            Matcher m = LINE.matcher(l);
            if (m.find()) {
                file = m.group(2).replace("\\\"", "\"").replace("\\\\", "\\");
                line = Integer.parseInt(m.group(1)) - 1;
                continue;
            }
            if (ABSOLUTE_INCLUDE.matcher(l).find()) {
                return Optional.of(new Refusal(file, line, "#include of an absolute path; templates include"
                        + " only from their folder, their include folders and the toolchain's headers"));
            }
            if (INCBIN.matcher(l.replaceAll("\"\\s*\"", "")).find()) {
                return Optional.of(new Refusal(file, line, "'incbin' is not allowed: an assembler .incbin reads"
                        + " a file outside Kiln's view (and outside the variant key)"));
            }
        }
        return Optional.empty();
    }

    /** The dependencies (absolute) that lie outside the allowed folders, after symbolic links. */
    public List<Path> outside(List<Path> dependencies) {
        List<Path> out = new ArrayList<>();
        for (Path dep : dependencies) {
            Path r = real(dep);
            if (allowed.stream().noneMatch(r::startsWith)) {
                out.add(dep.equals(r) ? dep : r);
            }
        }
        return out;
    }

    private static Path real(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
    }

}
