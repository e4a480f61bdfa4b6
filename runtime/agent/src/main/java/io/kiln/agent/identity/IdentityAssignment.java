package io.kiln.agent.identity;

import io.kiln.agent.spec.EndpointSpec;
import io.kiln.agent.spec.Labels;
import io.kiln.agent.spec.SpecException;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Gives each endpoint the identity of its label set. Endpoints with the same labels share an
 * identity. A spec may pin the identity of its labels ({@code identity: 3001}); a pin fails, for
 * that endpoint alone, when another label set in use holds the number or another endpoint with
 * the same labels pins a different one. Label sets already holding their pinned number are served
 * first, then by lowest endpoint id, so a running endpoint keeps its identity when a new spec
 * clashes with it.
 */
public final class IdentityAssignment {
    private IdentityAssignment() {
    }

    /**
     * @param identities endpoint id to identity, for every endpoint without an error
     * @param errors     endpoint id to the reason it got no identity
     */
    public record Result(SortedMap<Integer, Integer> identities, SortedMap<Integer, SpecException> errors) {
    }

    /** Call {@link IdentityAllocator#retain} with every label set in use first, so that stale holders yield. */
    public static Result assign(IdentityAllocator allocator, Collection<EndpointSpec> endpoints) {
        Map<Labels, List<EndpointSpec>> groups = new LinkedHashMap<>();
        endpoints.stream().sorted(Comparator.comparingInt(EndpointSpec::id))
                .forEach(e -> groups.computeIfAbsent(e.labels(), k -> new ArrayList<>()).add(e));
        SortedMap<Integer, Integer> identities = new TreeMap<>();
        SortedMap<Integer, SpecException> errors = new TreeMap<>();

        List<Map.Entry<Labels, List<EndpointSpec>>> pinned = new ArrayList<>();
        for (Map.Entry<Labels, List<EndpointSpec>> g : groups.entrySet()) {
            if (g.getValue().stream().anyMatch(e -> e.identity() != null)) {
                pinned.add(g);
            }
        }
        pinned.sort(Comparator.comparing((Map.Entry<Labels, List<EndpointSpec>> g) -> !holdsItsPin(allocator, g))
                .thenComparingInt(g -> g.getValue().get(0).id()));
        for (Map.Entry<Labels, List<EndpointSpec>> g : pinned) {
            pin(allocator, g.getKey(), g.getValue(), errors);
        }
        for (Map.Entry<Labels, List<EndpointSpec>> g : groups.entrySet()) {
            List<EndpointSpec> ok = g.getValue().stream().filter(e -> !errors.containsKey(e.id())).toList();
            if (!ok.isEmpty()) {
                int identity = allocator.labelIdentity(g.getKey());
                ok.forEach(e -> identities.put(e.id(), identity));
            }
        }
        return new Result(identities, errors);
    }

    private static boolean holdsItsPin(IdentityAllocator a, Map.Entry<Labels, List<EndpointSpec>> g) {
        Optional<Integer> current = a.findLabelIdentity(g.getKey());
        return current.isPresent() && current.get().equals(firstPin(g.getValue()).identity());
    }

    private static EndpointSpec firstPin(List<EndpointSpec> group) {
        return group.stream().filter(e -> e.identity() != null).findFirst().orElseThrow();
    }

    private static void pin(IdentityAllocator a, Labels labels, List<EndpointSpec> group,
                            Map<Integer, SpecException> errors) {
        EndpointSpec first = firstPin(group);
        int wanted = first.identity();
        for (EndpointSpec e : group) {
            if (e.identity() != null && e.identity() != wanted) {
                errors.put(e.id(), e.origin().error("identity", "endpoint " + first.id() + " with the same labels {"
                        + labels + "} pins identity " + wanted + "; endpoints with the same labels share one identity"));
            }
        }
        try {
            a.pin(labels, wanted);
        } catch (IdentityClashException clash) {
            for (EndpointSpec e : group) {
                if (e.identity() != null && e.identity() == wanted) {
                    errors.put(e.id(), e.origin().error("identity", "identity clash: " + clash.getMessage()
                            + ", used by another endpoint"));
                }
            }
        }
    }
}
