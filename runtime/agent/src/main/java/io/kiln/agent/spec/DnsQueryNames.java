package io.kiln.agent.spec;

/**
 * Which {@link FqdnSelector}s a DNS rule on queries ({@code toPorts[].dns}) may hold: the dataplane
 * judges a question name by exact lookups, so of the {@code toFQDNs} forms it takes
 * {@code matchName}, {@code matchPattern: "*"} (every name) and {@code matchPattern: "*.SUFFIX"}
 * with no other {@code '*'} (exactly one label before SUFFIX, as {@link FqdnSelector#matches} has
 * it). A pattern with {@code '*'} elsewhere ({@code api-*.example.test}, {@code *.*.test}) is refused.
 */
public final class DnsQueryNames {
    private DnsQueryNames() {
    }

    /**
     * @throws IllegalArgumentException with a message fit for the user, for a pattern the dataplane cannot judge
     */
    public static void check(FqdnSelector s) {
        String p = s.matchPattern();
        if (p == null || "*".equals(p)) {
            return;
        }
        if (!p.startsWith("*.") || p.indexOf('*', 1) >= 0) {
            throw new IllegalArgumentException("'" + p + "': a DNS rule on queries takes matchName, \"*\" or"
                    + " \"*.SUFFIX\" with no other '*' (the dataplane looks names up; it runs no pattern)");
        }
    }
}
