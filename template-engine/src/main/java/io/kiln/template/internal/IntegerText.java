package io.kiln.template.internal;

import io.kiln.Excerpt;

import java.math.BigInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Integers as users type them on a command line or in a spec: decimal or {@code 0x} hex, with an
 * optional sign. A decimal with a leading zero is refused rather than guessed: C would read
 * {@code 010} as octal 8, Java as 10.
 */
public final class IntegerText {
    private static final Pattern INTEGER = Pattern.compile("([+-]?)(?:0[xX]([0-9a-fA-F]+)|(0|[1-9][0-9]*))");

    /**
     * Longest text read as an integer: a 128-bit value takes 39 decimal digits. Anything longer is
     * refused before parsing, since BigInteger's parse is quadratic (a million digits took 15 s).
     */
    public static final int MAX_LENGTH = 64;

    private IntegerText() {
    }

    /** The value of {@code text}, or null when it is not an integer in one of the accepted forms. */
    public static BigInteger parse(String text) {
        if (text.length() > MAX_LENGTH && text.strip().length() > MAX_LENGTH) {
            return null;
        }
        Matcher m = INTEGER.matcher(text.strip());
        if (!m.matches()) {
            return null;
        }
        BigInteger value = m.group(2) != null ? new BigInteger(m.group(2), 16) : new BigInteger(m.group(3));
        return m.group(1).equals("-") ? value.negate() : value;
    }

    /** An integral Java number as a BigInteger, or null for anything else (floating point included). */
    public static BigInteger ofNumber(Object value) {
        if (value instanceof BigInteger b) {
            return b;
        }
        if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return BigInteger.valueOf(((Number) value).longValue());
        }
        return null;
    }

    /** For "got ..." in messages: strings quoted, numbers and booleans as they are, each cut short. */
    public static String describe(Object value) {
        if (value == null) {
            return "nothing";
        }
        return value instanceof String s ? "'" + Excerpt.of(s) + "'" : Excerpt.of(String.valueOf(value));
    }
}
