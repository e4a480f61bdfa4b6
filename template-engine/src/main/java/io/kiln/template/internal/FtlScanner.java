package io.kiln.template.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * A small lexer for FreeMarker template text (angle-bracket tags, {@code ${}} interpolations)
 * that finds where literal output starts. {@link LineMarkers} puts a marker there.
 *
 * <p>A marker goes right before the first output (non-blank text or an interpolation) of a line,
 * and before each later run of output that follows a tag or comment on that line (so output
 * inside {@code <#if>}, {@code <#list>} and {@code <#macro>} bodies carries its line). Only there:
 * a non-blank character placed right before another non-blank one, or before an interpolation,
 * cannot change which whitespace FreeMarker strips, while a marker anywhere else could (a line
 * holding only tags, or only a {@code <#assign>} capture, loses its indentation and line break).
 *
 * <p>The lexer follows FreeMarker's rules where they matter here: a tag ends at a {@code >}
 * outside parentheses and string literals ({@code ->} is an operator), an interpolation at its
 * matching {@code }}, strings may nest interpolations, raw strings {@code r"..."} have no
 * escapes, comments {@code <#-- -->} may appear inside tags, and {@code <#noparse>} bodies are
 * plain text.
 */
final class FtlScanner {
    /** Where a marker goes: 0-based line and the char offset within that line. */
    record Insertion(int line, int offset) {
    }

    /** A directive found in the text, with its 1-based line and column. */
    record Directive(String name, int line, int column) {
    }

    /** A built-in ({@code ?name}) or special variable ({@code .name}) used in an FTL expression. */
    record Name(String name, boolean builtIn, int line, int column) {
    }

    private enum Kind { COMMENT, TAG, INTERP, STRING }

    private static final class Frame {
        final Kind kind;
        final String tagName;
        final boolean closing;
        final char quote;
        final boolean raw;
        int parens;
        int braces;

        Frame(Kind kind, String tagName, boolean closing, char quote, boolean raw) {
            this.kind = kind;
            this.tagName = tagName;
            this.closing = closing;
            this.quote = quote;
            this.raw = raw;
        }
    }

    private final String s;
    private final Deque<Frame> stack = new ArrayDeque<>();
    private final List<Insertion> insertions = new ArrayList<>();
    private final List<Directive> directives = new ArrayList<>();
    private boolean noparse;

    private final List<Name> names = new ArrayList<>();
    private int line;
    private int lineStart;
    /** True at line start and after a tag or comment closes: the next output run gets a marker. */
    private boolean afterTag;

    private FtlScanner(String s) {
        this.s = s;
    }

    static FtlScanner scan(String text) {
        FtlScanner scanner = new FtlScanner(text);
        scanner.run();
        return scanner;
    }

    /** Every {@code ?builtin} and {@code .special_variable} in FTL expressions, with its place. */
    List<Name> names() {
        return names;
    }

    List<Insertion> insertions() {
        return insertions;
    }

    /** Every FTL directive tag ({@code <#name}) with its place, for checks on what a template may use. */
    List<Directive> directives() {
        return directives;
    }

    private void run() {
        beginLine(0);
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '\n') {
                endLine();
                beginLine(i + 1);
                i++;
                continue;
            }
            Frame top = stack.peek();
            if (top == null) {
                i = noparse ? inNoparse(i) : inText(i);
            } else if (top.kind == Kind.COMMENT) {
                if (s.startsWith("-->", i)) {
                    stack.pop();
                    closed();
                    i += 3;
                } else {
                    i++;
                }
            } else if (top.kind == Kind.STRING) {
                i = inString(top, i);
            } else {
                i = inExpression(top, i);
            }
        }
        endLine();
    }

    private void beginLine(int start) {
        lineStart = start;
        afterTag = true;
    }

    private void endLine() {
        line++;
    }

    private int inText(int i) {
        char c = s.charAt(i);
        if (s.startsWith("<#--", i)) {
            stack.push(new Frame(Kind.COMMENT, null, false, '\0', false));
            return i + 4;
        }
        boolean closing = s.startsWith("</#", i) || s.startsWith("</@", i);
        int nameAt = i + (closing ? 3 : 2);
        if (s.startsWith("<#", i) || closing && s.charAt(i + 2) == '#') {
            if (nameAt < s.length() && Character.isLetter(s.charAt(nameAt))) {
                String name = name(nameAt);
                if (!closing) {
                    directives.add(new Directive(name, line + 1, i - lineStart + 1));
                }
                stack.push(new Frame(Kind.TAG, name, closing, '\0', false));
                return nameAt + name.length();
            }
        } else if (s.startsWith("<@", i) || closing) {
            stack.push(new Frame(Kind.TAG, "@", closing, '\0', false));
            return nameAt;
        } else if (s.startsWith("${", i)) {
            output(i);
            stack.push(new Frame(Kind.INTERP, null, false, '\0', false));
            return i + 2;
        }
        if (!Character.isWhitespace(c)) {
            output(i);
        }
        return i + 1;
    }

    private int inNoparse(int i) {
        if (s.startsWith("</#noparse", i) || s.startsWith("</#noParse", i)) {
            noparse = false;
            stack.push(new Frame(Kind.TAG, "noparse", true, '\0', false));
            return i + 10;
        }
        if (!Character.isWhitespace(s.charAt(i))) {
            output(i);
        }
        return i + 1;
    }

    private int inExpression(Frame top, int i) {
        char c = s.charAt(i);
        if (s.startsWith("<#--", i)) {
            stack.push(new Frame(Kind.COMMENT, null, false, '\0', false));
            return i + 4;
        }
        if (c == '"' || c == '\'') {
            boolean raw = i > 0 && s.charAt(i - 1) == 'r' && (i < 2 || !isNamePart(s.charAt(i - 2)));
            stack.push(new Frame(Kind.STRING, null, false, c, raw));
            return i + 1;
        }
        if (c == '-' && s.startsWith("->", i)) {
            return i + 2;
        }
        if (c == '?' && !s.startsWith("??", i)) {
            noteName(i, true);
        } else if (c == '.' && !s.startsWith("..", i) && !afterOperand(i)) {
            noteName(i, false);
        }
        switch (c) {
            case '(' -> top.parens++;
            case ')' -> top.parens--;
            case '{' -> top.braces++;
            case '}' -> {
                if (top.kind == Kind.INTERP && top.braces == 0) {
                    stack.pop();
                    return i + 1;
                }
                top.braces--;
            }
            case '>' -> {
                if (top.kind == Kind.TAG && top.parens <= 0) {
                    stack.pop();
                    if (!top.closing && (top.tagName.equals("noparse") || top.tagName.equals("noParse"))
                            && s.charAt(i - 1) != '/') {
                        noparse = true;
                    }
                    closed();
                    return i + 1;
                }
            }
            default -> { }
        }
        return i + 1;
    }

    private int inString(Frame top, int i) {
        char c = s.charAt(i);
        if (c == '\\' && !top.raw) {
            // An escaped newline still ends a source line.
            return i + 1 < s.length() && s.charAt(i + 1) == '\n' ? i + 1 : i + 2;
        }
        if (c == top.quote) {
            stack.pop();
            return i + 1;
        }
        if (!top.raw && s.startsWith("${", i)) {
            stack.push(new Frame(Kind.INTERP, null, false, '\0', false));
            return i + 2;
        }
        return i + 1;
    }

    private void noteName(int at, boolean builtIn) {
        int j = at + 1;
        while (j < s.length() && (s.charAt(j) == ' ' || s.charAt(j) == '\t')) {
            j++;
        }
        if (j < s.length() && Character.isLetter(s.charAt(j))) {
            names.add(new Name(name(j), builtIn, line + 1, at - lineStart + 1));
        }
    }

    /**
     * Whether the dot at {@code i} right follows a value (hash access {@code a.b}) rather than starts
     * {@code .special}; after a space it counts as special ({@code <#if .now>}), the safe side.
     */
    private boolean afterOperand(int i) {
        if (i == 0) {
            return false;
        }
        char p = s.charAt(i - 1);
        return isNamePart(p) || p == ')' || p == ']' || p == '"' || p == '\'';
    }

    /** Literal output starts at {@code i}. */
    private void output(int i) {
        if (afterTag) {
            insertions.add(new Insertion(line, i - lineStart));
        }
        afterTag = false;
    }

    /** A tag or comment just closed; back in text if the stack is empty. */
    private void closed() {
        if (stack.isEmpty()) {
            afterTag = true;
        }
    }

    private String name(int at) {
        int end = at;
        while (end < s.length() && isNamePart(s.charAt(end))) {
            end++;
        }
        return s.substring(at, end);
    }

    private static boolean isNamePart(char c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }
}
