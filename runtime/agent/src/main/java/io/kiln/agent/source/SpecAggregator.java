package io.kiln.agent.source;

import io.kiln.agent.spec.DesiredState;
import io.kiln.agent.spec.EndpointSpec;
import io.kiln.agent.spec.PolicySpec;
import io.kiln.agent.spec.ServiceSpec;
import io.kiln.agent.spec.Spec;
import io.kiln.agent.spec.SpecError;
import io.kiln.agent.spec.SpecKind;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Merges the snapshots of every source into one {@link DesiredState}. Two sources defining the
 * same endpoint id (or policy or service name) is an error of the newcomer: the source that had
 * it first keeps it. Nothing is passed on until every expected source has sent its first
 * snapshot: an agent starting must not take "not heard from Kubernetes yet" for "no pods", and
 * remove what runs.
 */
public final class SpecAggregator implements SourceListener {
    private final Set<String> expected;
    private final DesiredStateListener downstream;
    private final Map<String, SourceSnapshot> latest = new LinkedHashMap<>();
    /** Kind and key to the source that owns it. */
    private final Map<String, String> owners = new HashMap<>();

    public SpecAggregator(Set<String> expectedSources, DesiredStateListener downstream) {
        this.expected = Set.copyOf(expectedSources);
        this.downstream = downstream;
    }

    /** True once every expected source has sent a snapshot. */
    public synchronized boolean ready() {
        return latest.keySet().containsAll(expected);
    }

    @Override
    public synchronized void onSnapshot(SourceSnapshot snapshot) {
        latest.put(snapshot.source(), snapshot);
        if (!ready()) {
            return;
        }
        List<SpecError> errors = new ArrayList<>();
        Map<String, String> stillOwned = new HashMap<>();
        List<EndpointSpec> endpoints = merge(SourceSnapshot::endpoints, stillOwned, errors);
        List<PolicySpec> policies = merge(SourceSnapshot::policies, stillOwned, errors);
        List<ServiceSpec> services = merge(SourceSnapshot::services, stillOwned, errors);
        owners.clear();
        owners.putAll(stillOwned);
        latest.values().forEach(s -> errors.addAll(s.errors()));
        downstream.onDesiredState(DesiredState.of(endpoints, policies, services), errors);
    }

    private <T extends Spec> List<T> merge(Function<SourceSnapshot, List<T>> specs, Map<String, String> claimed,
                                           List<SpecError> errors) {
        Map<String, T> byKey = new TreeMap<>();
        Map<String, String> sourceOf = new HashMap<>();
        // the previous owner's claim first, then sources in the order they first reported
        List<Map.Entry<String, T>> all = new ArrayList<>();
        for (SourceSnapshot s : latest.values()) {
            for (T spec : specs.apply(s)) {
                all.add(Map.entry(s.source(), spec));
            }
        }
        all.sort((a, b) -> Boolean.compare(!owns(a), !owns(b)));
        for (Map.Entry<String, T> e : all) {
            T spec = e.getValue();
            String id = id(spec);
            T first = byKey.putIfAbsent(id, spec);
            if (first == null) {
                sourceOf.put(id, e.getKey());
                claimed.put(id, e.getKey());
            } else {
                String field = spec.kind() == SpecKind.ENDPOINT ? "id" : "name";
                errors.add(SpecError.of(spec.kind(), spec.key(), spec.origin().error(field, spec.kind().word() + " "
                        + spec.key() + " is already defined by " + first.origin().name() + " (" + sourceOf.get(id) + ")")));
            }
        }
        return new ArrayList<>(byKey.values());
    }

    private boolean owns(Map.Entry<String, ? extends Spec> e) {
        return e.getKey().equals(owners.get(id(e.getValue())));
    }

    private static String id(Spec s) {
        return s.kind() == SpecKind.ENDPOINT ? "e/" + s.key() : s.kind().word() + "/" + s.key();
    }
}
