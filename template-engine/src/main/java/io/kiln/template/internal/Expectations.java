package io.kiln.template.internal;

/** The "expected ..." half of parameter and descriptor messages, worded once. */
public final class Expectations {
    private Expectations() {
    }

    public static String integer(Long min, Long max) {
        if (min != null && max != null) {
            return "an integer between " + min + " and " + max;
        }
        if (min != null) {
            return "an integer >= " + min;
        }
        if (max != null) {
            return "an integer <= " + max;
        }
        return "an integer";
    }

    public static boolean inRange(long value, Long min, Long max) {
        return (min == null || value >= min) && (max == null || value <= max);
    }
}
