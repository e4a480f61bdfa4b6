package io.kiln.yaml;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The JSON/YAML parser's reasons in a user's words: what was wrong and where, without the parser's
 * class names, its "[Source: REDACTED …]" places or its tuning hints. The line and column are given
 * by the caller's own prefix ({@code file:line:column:}); a place inside the reason (where a list
 * was opened) is kept in plain words.
 */
public final class ParserMessages {
    private static final Pattern SOURCE = Pattern.compile("\\s*(?:at )?\\[Source: [^\\]]*?(?:; line: (\\d+), column: (\\d+))?]");
    private static final Pattern END_IN = Pattern.compile(
            "Unexpected end-of-input: expected close marker for (Array|Object) \\(start marker at line (\\d+), column (\\d+)\\)");
    private static final Pattern DEPTH = Pattern.compile("nesting depth \\((\\d+)\\) exceeds the maximum allowed \\((\\d+)");
    private static final Pattern CHARACTER = Pattern.compile(
            "Unexpected character \\('(.{1,2})' \\(code (\\d+)\\)\\):?\\s*(.*)");
    private static final Pattern CONTROL = Pattern.compile("Illegal character \\(\\(CTRL-CHAR, code (\\d+)\\)\\)");
    private static final int MAX = 300;

    private ParserMessages() {
    }

    /** The reason of a parser exception, in plain words, one line. */
    public static String of(JsonProcessingException e) {
        if (e instanceof StreamConstraintsException) {
            Matcher d = DEPTH.matcher(String.valueOf(e.getOriginalMessage()));
            if (d.find()) {
                return "nested deeper than " + d.group(2) + " levels (lists or mappings within each other)";
            }
            return "larger than the parser allows: " + plain(e.getOriginalMessage());
        }
        return plain(e.getOriginalMessage());
    }

    /** {@code message} from the parser without its places, class names and line breaks. */
    public static String plain(String message) {
        if (message == null) {
            return "unreadable";
        }
        String text = message.strip().replaceAll("\\s*\\n\\s*", " ");
        text = SOURCE.matcher(text).replaceAll(r -> r.group(1) == null ? ""
                : Matcher.quoteReplacement(" at line " + r.group(1) + ", column " + r.group(2)));
        Matcher end = END_IN.matcher(text);
        if (end.find()) {
            return "the text ends before the " + ("Array".equals(end.group(1)) ? "list" : "mapping")
                    + " opened at line " + end.group(2) + ", column " + end.group(3) + " is closed";
        }
        if (text.startsWith("Unexpected end-of-input")) {
            return "the text ends too early" + text.substring("Unexpected end-of-input".length()).replaceFirst("^:", ":");
        }
        Matcher c = CHARACTER.matcher(text);
        if (c.find()) {
            int code = Integer.parseInt(c.group(2));
            String shown = code < 0x20 || code == 0x7f ? "code " + code : "'" + c.group(1) + "'";
            String rest = c.group(3).replace("was expecting", "expected").replace("double-quote", "'\"'").strip();
            return "unexpected character " + shown + (rest.isEmpty() ? "" : ": " + rest);
        }
        text = CONTROL.matcher(text).replaceAll("control character (code $1)");
        text = text.replace("was expecting", "expected").replaceAll(" \\(for [A-Za-z.]+\\)", "").replaceAll("`[A-Za-z.]+\\(\\)`", "");
        if (text.length() > 1 && Character.isUpperCase(text.charAt(0)) && Character.isLowerCase(text.charAt(1))) {
            text = Character.toLowerCase(text.charAt(0)) + text.substring(1);
        }
        return text.length() > MAX ? text.substring(0, MAX) + "..." : text;
    }
}
