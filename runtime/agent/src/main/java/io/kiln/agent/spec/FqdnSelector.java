package io.kiln.agent.spec;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An egress peer by DNS name: {@code matchName} (one name, exactly) or {@code matchPattern}, where
 * {@code *} stands for any run of the characters a DNS label may hold, dots excluded (so
 * {@code *.example.test} covers {@code api.example.test} but not {@code a.b.example.test}), and a
 * lone {@code *} for every name. Names compare without case and without a trailing dot.
 */
public record FqdnSelector(String matchName, String matchPattern) implements Comparable<FqdnSelector> {
    /** A DNS name of letters, digits, '-' and '_' labels (1-63 each), at most 253 characters. */
    private static final Pattern NAME = Pattern.compile(
            "(?=.{1,253}$)([a-z0-9_]([-a-z0-9_]{0,61}[a-z0-9_])?)(\\.[a-z0-9_]([-a-z0-9_]{0,61}[a-z0-9_])?)*");
    private static final Pattern PATTERN = Pattern.compile("(?=.{1,253}$)[-a-z0-9_*]{1,63}(\\.[-a-z0-9_*]{1,63})*");

    public FqdnSelector {
        if ((matchName == null) == (matchPattern == null)) {
            throw new IllegalArgumentException("give exactly one of matchName and matchPattern");
        }
    }

    /**
     * {@code matchName: text}, checked and made lower case.
     *
     * @throws IllegalArgumentException with a message fit for the user
     */
    public static FqdnSelector name(String text) {
        String n = normalize(text);
        if (!NAME.matcher(n).matches()) {
            throw new IllegalArgumentException("'" + shown(text) + "' is not a DNS name like api.example.test"
                    + " (labels of letters, digits, '-' and '_', 1-63 characters each, 253 in all)");
        }
        return new FqdnSelector(n, null);
    }

    /**
     * {@code matchPattern: text}, checked and made lower case.
     *
     * @throws IllegalArgumentException with a message fit for the user
     */
    public static FqdnSelector pattern(String text) {
        String p = normalize(text);
        if (!PATTERN.matcher(p).matches()) {
            throw new IllegalArgumentException("'" + shown(text) + "' is not a name pattern like *.example.test"
                    + " (a DNS name where '*' stands for any characters within one label)");
        }
        return new FqdnSelector(null, p);
    }

    /** Lower case, without a trailing dot: how names are compared. */
    public static String normalize(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".") && n.length() > 1 ? n.substring(0, n.length() - 1) : n;
    }

    /** True when {@code name} (from a DNS answer, any case, trailing dot or not) is selected. */
    public boolean matches(String name) {
        String n = normalize(name);
        if (matchName != null) {
            return matchName.equals(n);
        }
        return globMatches(matchPattern, n);
    }

    /** Label by label: the name has as many labels as the pattern, and each matches its glob. */
    private static boolean globMatches(String pattern, String name) {
        if ("*".equals(pattern)) {
            return true;
        }
        String[] p = pattern.split("\\.", -1);
        String[] n = name.split("\\.", -1);
        if (p.length != n.length) {
            return false;
        }
        for (int i = 0; i < p.length; i++) {
            if (!labelMatches(p[i], n[i])) {
                return false;
            }
        }
        return true;
    }

    /** '*' matches any run of characters of one label: the usual greedy match with one backtrack point. */
    private static boolean labelMatches(String p, String n) {
        int pi = 0;
        int ni = 0;
        int star = -1;
        int mark = 0;
        while (ni < n.length()) {
            if (pi < p.length() && p.charAt(pi) == '*') {
                star = pi++;
                mark = ni;
            } else if (pi < p.length() && p.charAt(pi) == n.charAt(ni)) {
                pi++;
                ni++;
            } else if (star >= 0) {
                pi = star + 1;
                ni = ++mark;
            } else {
                return false;
            }
        }
        while (pi < p.length() && p.charAt(pi) == '*') {
            pi++;
        }
        return pi == p.length();
    }

    private static String shown(String text) {
        String s = text.length() > 80 ? text.substring(0, 80) + "... (" + text.length() + " characters)" : text;
        return s.replaceAll("\\p{Cntrl}", "?");
    }

    /** {@code matchName: x} or {@code matchPattern: x}, as the spec writes it. */
    @Override
    public String toString() {
        return matchName != null ? "matchName: " + matchName : "matchPattern: " + matchPattern;
    }

    @Override
    public int compareTo(FqdnSelector o) {
        return toString().compareTo(o.toString());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FqdnSelector other && Objects.equals(matchName, other.matchName)
                && Objects.equals(matchPattern, other.matchPattern);
    }

    @Override
    public int hashCode() {
        return Objects.hash(matchName, matchPattern);
    }
}
