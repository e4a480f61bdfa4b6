package io.kiln;

/** How messages echo an input they refuse: a short prefix, printable, so a huge or hostile value cannot flood a log. */
public final class Excerpt {
    /** Characters of a value a message repeats; the rest is counted, not shown. */
    public static final int MAX = 40;

    private Excerpt() {
    }

    /** {@code value} with control characters escaped as \\uXXXX, cut to {@link #MAX} characters plus "... (N chars)". */
    public static String of(String value) {
        return of(value, MAX);
    }

    /** As {@link #of(String)}, cut at {@code max} characters (a path deserves more than a number). */
    public static String of(String value, int max) {
        if (value == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder();
        int n = Math.min(value.length(), max);
        for (int i = 0; i < n; i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        if (value.length() > max) {
            b.append("... (").append(value.length()).append(" chars)");
        }
        return b.toString();
    }
}
