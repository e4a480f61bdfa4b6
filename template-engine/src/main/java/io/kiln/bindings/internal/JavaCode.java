package io.kiln.bindings.internal;

/** Java source text, built line by line with block indentation of four spaces. */
public final class JavaCode {
    private final StringBuilder text = new StringBuilder();
    private int depth;

    /** Adds a line; a line ending in '{' opens a block, one starting with '}' closes one first. */
    public JavaCode line(String line) {
        if (line.startsWith("}")) {
            depth--;
        }
        if (!line.isEmpty()) {
            text.append("    ".repeat(Math.max(depth, 0))).append(line);
        }
        text.append('\n');
        if (line.endsWith("{")) {
            depth++;
        }
        return this;
    }

    public JavaCode line(String format, Object... args) {
        return line(String.format(java.util.Locale.ROOT, format, args));
    }

    public JavaCode blank() {
        return line("");
    }

    /** A Javadoc comment; pass text that came from the template through {@link #text}. */
    public JavaCode doc(String... lines) {
        if (lines.length == 1) {
            return line("/** " + lines[0] + " */");
        }
        line("/**");
        for (String l : lines) {
            line(l.isEmpty() ? " *" : " * " + l);
        }
        return line(" */");
    }

    /** A Java string literal of {@code s}. */
    public static String literal(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c > 0x7e) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    /** Template text (a description, a C type) made safe for a Javadoc comment: it cannot end the comment or start a tag. */
    public static String text(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("@", "&#64;")
                .replace("*/", "*&#47;").replace("\\u", "\\\\u").replace('\n', ' ').replace('\r', ' ');
    }

    @Override
    public String toString() {
        return text.toString();
    }
}
