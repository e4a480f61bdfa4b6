package io.kiln.template.internal;

import java.util.regex.Pattern;

/**
 * Turns rendered text that carries {@link LineMarkers} into C with {@code #line} directives: each
 * output line that does not sit on the line the compiler would assume anyway gets
 * {@code #line N "FILE"} before it, so clang's diagnostics and debug info name the template
 * file and line that produced it.
 *
 * <p>An output line's source is the last marker before its first non-blank character, or else
 * the line after the previous line's source (text that followed its marker through a line
 * break). Directives are only written where the preprocessor will act on them: not inside a
 * block comment, not after a line ending in a backslash (a macro body or continued line), and
 * not on blank lines. Where a directive cannot go and the template skipped lines, padding lines
 * (blank in a comment, a lone backslash in a continuation) keep the numbering right. After a preprocessor conditional ({@code #if ... #endif}) the compiler's
 * position is treated as unknown, because a directive inside a skipped branch is ignored.
 */
public final class LineDirectives {
    private static final Pattern CONDITIONAL =
            Pattern.compile("\\s*#\\s*(if|ifdef|ifndef|elif|elifdef|elifndef|else|endif)\\b.*");

    private String sourceFile;
    private int sourceLine;
    private String compilerFile;
    private int compilerLine = 1;
    private boolean inBlockComment;
    private boolean continued;

    private LineDirectives() {
    }

    public static String apply(String marked) {
        return new LineDirectives().run(marked);
    }

    private String run(String marked) {
        StringBuilder out = new StringBuilder(marked.length() + 256);
        StringBuilder clean = new StringBuilder();
        int i = 0;
        while (i < marked.length()) {
            int nl = marked.indexOf('\n', i);
            int end = nl < 0 ? marked.length() : nl;
            clean.setLength(0);
            String lineFile = sourceFile;
            int lineNo = sourceLine;
            boolean content = false;
            for (int j = i; j < end; j++) {
                char c = marked.charAt(j);
                if (c == LineMarkers.START) {
                    int close = marked.indexOf(LineMarkers.END, j);
                    if (close > j && close < end && readMarker(marked, j + 1, close) && !content) {
                        lineFile = sourceFile;
                        lineNo = sourceLine;
                    }
                    j = close > j && close < end ? close : j;
                    continue;
                }
                if (c == LineMarkers.END) {
                    continue;
                }
                content |= !Character.isWhitespace(c);
                clean.append(c);
            }
            String text = clean.toString();
            if (content && lineFile != null && (!lineFile.equals(compilerFile) || lineNo != compilerLine)) {
                if (directiveAllowed()) {
                    out.append("#line ").append(lineNo).append(" \"").append(escape(lineFile)).append("\"\n");
                    compilerFile = lineFile;
                    compilerLine = lineNo;
                } else if (lineFile.equals(compilerFile) && lineNo > compilerLine) {
                    // No directive possible here, but lines the template dropped (a stripped <#if>)
                    // can be given back: blank lines inside a comment, spliced ones in a macro body.
                    out.append((continued ? "\\\n" : "\n").repeat(lineNo - compilerLine));
                    compilerLine = lineNo;
                }
            }
            out.append(text);
            if (nl >= 0) {
                out.append('\n');
            }
            track(text);
            compilerLine++;
            if (sourceFile != null) {
                sourceLine++;
            }
            i = end + 1;
        }
        return out.toString();
    }

    /** Reads {@code file:line} between {@code from} and {@code to}; false (and no change) if malformed. */
    private boolean readMarker(String s, int from, int to) {
        int colon = s.lastIndexOf(':', to);
        if (colon < from) {
            return false;
        }
        try {
            sourceLine = Integer.parseInt(s.substring(colon + 1, to));
            sourceFile = s.substring(from, colon);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private boolean directiveAllowed() {
        return !inBlockComment && !continued;
    }

    /** Follows comments, continuations and conditionals in one output line. */
    private void track(String line) {
        boolean wasContinued = continued;
        continued = line.stripTrailing().endsWith("\\");
        if (!inBlockComment && !wasContinued && CONDITIONAL.matcher(line).matches()) {
            compilerFile = null;
        }
        int i = 0;
        while (i < line.length()) {
            if (inBlockComment) {
                int close = line.indexOf("*/", i);
                if (close < 0) {
                    return;
                }
                inBlockComment = false;
                i = close + 2;
                continue;
            }
            char c = line.charAt(i);
            if (c == '"' || c == '\'') {
                i = skipLiteral(line, i);
            } else if (line.startsWith("//", i)) {
                return;
            } else if (line.startsWith("/*", i)) {
                inBlockComment = true;
                i += 2;
            } else {
                i++;
            }
        }
    }

    private static int skipLiteral(String line, int start) {
        char quote = line.charAt(start);
        int i = start + 1;
        while (i < line.length()) {
            char c = line.charAt(i);
            if (c == '\\') {
                i += 2;
            } else if (c == quote) {
                return i + 1;
            } else {
                i++;
            }
        }
        return i;
    }

    private static String escape(String file) {
        return file.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
