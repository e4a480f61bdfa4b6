package io.kiln.agent.spec;

import java.util.Collections;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One template of an endpoint's policy chain, as the spec writes it: its programs run on the
 * endpoint's hooks before the dataplane's, in the order of the spec's {@code chain:} list.
 *
 * @param template  the chained template's name
 * @param build     its build parameters as written
 * @param constants its endpoint constants as written (those the agent derives are added when declared)
 */
public record ChainEntry(String template, SortedMap<String, Object> build, SortedMap<String, Object> constants) {
    public ChainEntry {
        Objects.requireNonNull(template, "template");
        build = Collections.unmodifiableSortedMap(new TreeMap<>(build));
        constants = Collections.unmodifiableSortedMap(new TreeMap<>(constants));
    }
}
