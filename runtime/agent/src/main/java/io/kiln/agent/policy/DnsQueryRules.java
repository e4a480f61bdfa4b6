package io.kiln.agent.policy;

import io.kiln.agent.spec.DnsQueryNames;
import io.kiln.agent.spec.FqdnSelector;

import java.util.Collection;
import java.util.Collections;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * An endpoint's DNS rules on queries, as the dataplane's {@code dns_rules} map holds them
 * ({@code include/kiln/dns_query.h}): the union of the {@code toPorts[].dns} selectors of the policies
 * that select it, each {@code matchName} a whole name, each {@code "*.SUFFIX"} a suffix (a name of
 * exactly one more label), {@code "*"} every name. {@link #NONE}: the endpoint has no DNS rules and
 * its queries are not judged; {@link #enforced} with nothing allowed refuses every name.
 *
 * @param enforced whether the endpoint has DNS rules at all (its marker is in the map)
 * @param anyName  a {@code "*"} pattern: every name is allowed
 * @param names    whole names, lower case, no trailing dot
 * @param suffixes the SUFFIX of each {@code "*.SUFFIX"}, lower case
 */
public record DnsQueryRules(boolean enforced, boolean anyName, SortedSet<String> names, SortedSet<String> suffixes) {
    public static final DnsQueryRules NONE = new DnsQueryRules(false, false, new TreeSet<>(), new TreeSet<>());

    public DnsQueryRules {
        names = Collections.unmodifiableSortedSet(new TreeSet<>(names));
        suffixes = Collections.unmodifiableSortedSet(new TreeSet<>(suffixes));
        if (!enforced && (anyName || !names.isEmpty() || !suffixes.isEmpty())) {
            throw new IllegalArgumentException("names without DNS rules");
        }
    }

    /** The rules made of these selectors (checked by {@link DnsQueryNames}), enforced even when there are none. */
    public static DnsQueryRules of(Collection<FqdnSelector> selectors) {
        boolean any = false;
        SortedSet<String> names = new TreeSet<>();
        SortedSet<String> suffixes = new TreeSet<>();
        for (FqdnSelector s : selectors) {
            DnsQueryNames.check(s);
            if (s.matchName() != null) {
                names.add(s.matchName());
            } else if ("*".equals(s.matchPattern())) {
                any = true;
            } else {
                suffixes.add(s.matchPattern().substring(2));
            }
        }
        return new DnsQueryRules(true, any, names, suffixes);
    }

    /**
     * Whether a query for {@code name} goes on, judged as the dataplane judges it: not enforced,
     * {@code "*"}, a whole name, or the name without its first label is a suffix.
     */
    public boolean allows(String name) {
        if (!enforced || anyName) {
            return true;
        }
        String n = FqdnSelector.normalize(name);
        if (names.contains(n)) {
            return true;
        }
        int dot = n.indexOf('.');
        return dot > 0 && suffixes.contains(n.substring(dot + 1));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DnsQueryRules r && enforced == r.enforced && anyName == r.anyName && names.equals(r.names)
                && suffixes.equals(r.suffixes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(enforced, anyName, names, suffixes);
    }
}
