package io.kiln.template.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;

/**
 * A small lexer for FreeMarker template text (angle-bracket tags, {@code ${}} interpolations)
 * that finds, line by line, where literal output starts. {@link LineMarkers} puts a marker there.
 *
 * <p>Only lines that have literal output (non-blank text or an interpolation outside any tag)
 * get markers: FreeMarker strips the indentation and line break of a line holding nothing but
 * tags and comments, and a marker there would stop that. On such a line a marker goes before
 * every run of output that follows a tag (so output inside {@code <#if>}, {@code <#list>} and
 * {@code <#macro>} bodies carries its line), and at the start of the line when the line starts
 * with an opening tag (so the line is marked even when that body produces nothing).
 *
 * <p>The lexer follows FreeMarker's rules where they matter here: a tag ends at a {@code >}
 * outside parentheses and string literals ({@code ->} is an operator), an interpolation at its
 * matching {@code }}, strings may nest interpolations, raw strings {@code r"..."} have no
 * escapes, comments {@code <#-- -->} may appear inside tags, and {@code <#noparse>} bodies are
 * plain text.
 */
final class FtlScanner {
    /** Tags that continue or end a body opened on an earlier line: a marker before them would land in that body. */
    private static final Set<String> CONTINUATIONS = Set.of(
            "else", "elseif", "elseIf", "case", "on", "default", "recover", "sep", "ftl");

    /** Where a marker goes: 0-based line and the char offset within that line. */
    record Insertion(int line, int offset) {
    }

    /** A directive found in the text, with its 1-based line and column. */
    record Directive(String name, int line, int column) {
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

    private int line;
    private int lineStart;
    private final List<Integer> lineCandidates = new ArrayList<>();
    private boolean lineHasOutput;
    private boolean lineStartedInText;
    private boolean sawNonBlank;
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
        lineCandidates.clear();
        lineHasOutput = false;
        sawNonBlank = false;
        lineStartedInText = stack.isEmpty();
        afterTag = true;
    }

    private void endLine() {
        if (lineHasOutput) {
            lineCandidates.stream().distinct().sorted().forEach(o -> insertions.add(new Insertion(line, o)));
        }
        line++;
    }

    private int inText(int i) {
        char c = s.charAt(i);
        if (s.startsWith("<#--", i)) {
            firstOnLine(i, true);
            stack.push(new Frame(Kind.COMMENT, null, false, '\0', false));
            return i + 4;
        }
        boolean closing = s.startsWith("</#", i) || s.startsWith("</@", i);
        int nameAt = i + (closing ? 3 : 2);
        if (s.startsWith("<#", i) || closing && s.charAt(i + 2) == '#') {
            if (nameAt < s.length() && Character.isLetter(s.charAt(nameAt))) {
                String name = name(nameAt);
                firstOnLine(i, !closing && !CONTINUATIONS.contains(name));
                if (!closing) {
                    directives.add(new Directive(name, line + 1, i - lineStart + 1));
                }
                stack.push(new Frame(Kind.TAG, name, closing, '\0', false));
                return nameAt + name.length();
            }
        } else if (s.startsWith("<@", i) || closing) {
            firstOnLine(i, !closing);
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
            firstOnLine(i, false);
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

    /** A tag or comment starts at {@code i} in text; at the line's first non-blank it may take the line's marker. */
    private void firstOnLine(int i, boolean opensOrNeutral) {
        if (!sawNonBlank && lineStartedInText && opensOrNeutral) {
            lineCandidates.add(i - lineStart);
        }
        sawNonBlank = true;
    }

    /** Literal output starts at {@code i}. */
    private void output(int i) {
        lineHasOutput = true;
        if (afterTag && stack.isEmpty()) {
            lineCandidates.add(i - lineStart);
        }
        afterTag = false;
        sawNonBlank = true;
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
