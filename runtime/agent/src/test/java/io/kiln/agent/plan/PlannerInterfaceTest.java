package io.kiln.agent.plan;

import io.kiln.agent.Fixtures;
import io.kiln.agent.identity.IdentityAllocator;
import io.kiln.agent.spec.DesiredState;
import io.kiln.agent.spec.EndpointSpec;
import io.kiln.agent.spec.SpecError;
import io.kiln.agent.spec.SpecReader;
import io.kiln.host.Netns;
import io.kiln.lab.NetworkNamespace;
import io.kiln.testing.KernelRequirements;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two specs naming one interface (its name and an altname) are one interface: the second is refused. */
class PlannerInterfaceTest {
    @Test
    void anAltnameIsTheSameInterface() throws Exception {
        KernelRequirements.assumeKernel();
        KernelRequirements.assumeTools("ip");
        try (NetworkNamespace ns = NetworkNamespace.create("kt-alt")) {
            ns.ip("link", "add", "kt-alt0", "type", "veth", "peer", "name", "kt-alt1").orThrow();
            ns.ip("link", "property", "add", "dev", "kt-alt0", "altname", "kt-other-name").orThrow();
            int ifindex = ns.ifindex("kt-alt0");
            Planner planner = new Planner(Fixtures.catalog(), IdentityAllocator.inMemory())
                    .interfaces((name, namespace) -> Netns.named(namespace).findInterface(name)
                            .map(n -> OptionalInt.of(n.ifindex())).orElse(OptionalInt.empty()));
            EndpointSpec first = spec(1, "kt-alt0", ns.name());
            EndpointSpec second = spec(2, "kt-other-name", ns.name());
            Plan plan = planner.plan(DesiredState.of(List.of(first, second), List.of(), List.of()), List.of());
            assertEquals(Set.of(1), plan.endpoints().keySet());
            SpecError e = plan.errors().stream().filter(x -> "2".equals(x.key())).findFirst().orElseThrow();
            assertEquals("interface", e.field());
            assertTrue(e.message().startsWith("endpoints/2.yaml:2:"), e.message());
            assertTrue(e.message().contains("endpoint 1 already uses interface kt-other-name (ifindex " + ifindex
                    + ", under another name)"), e.message());

            // a third spec on another interface of the same namespace is fine
            Plan ok = planner.plan(DesiredState.of(List.of(first, spec(3, "kt-alt1", ns.name())), List.of(),
                    List.of()), List.of());
            assertEquals(Set.of(1, 3), ok.endpoints().keySet(), ok.errors().toString());
        }
    }

    @Test
    void aPlanLooksUpOnlyInterfacesNewToThePlanner() {
        java.util.Map<String, Integer> ifindexes = new java.util.HashMap<>(Map.of("lxc1", 11, "lxc2", 12, "lxc3", 13));
        java.util.List<String> asked = new java.util.ArrayList<>();
        Planner planner = new Planner(Fixtures.catalog(), IdentityAllocator.inMemory()).interfaces((name, namespace) -> {
            asked.add(name);
            Integer i = ifindexes.get(name);
            return i == null ? OptionalInt.empty() : OptionalInt.of(i);
        });
        EndpointSpec one = Fixtures.endpoint(1, "app", "one");
        EndpointSpec two = Fixtures.endpoint(2, "app", "two");
        planner.plan(DesiredState.of(List.of(one, two), List.of(), List.of()), List.of());
        assertEquals(List.of("lxc1", "lxc2"), asked);
        asked.clear();
        // a policy change, or a new endpoint: only the new endpoint's interface is looked up
        Plan next = planner.plan(DesiredState.of(List.of(one, two, Fixtures.endpoint(3, "app", "three")), List.of(),
                List.of()), List.of());
        assertEquals(List.of("lxc3"), asked);
        assertEquals(Set.of(1, 2, 3), next.endpoints().keySet());
        asked.clear();

        // lxc2 replaced, and its old ifindex now belongs to a new interface another spec names: the
        // remembered ifindex is asked again before anyone is refused
        ifindexes.put("lxc2", 22);
        ifindexes.put("lxc4", 12);
        Plan after = planner.plan(DesiredState.of(List.of(one, two, Fixtures.endpoint(3, "app", "three"),
                Fixtures.endpoint(4, "app", "four")), List.of(), List.of()), List.of());
        assertEquals(Set.of(1, 2, 3, 4), after.endpoints().keySet(), after.errors().toString());
        assertTrue(asked.contains("lxc4"), asked.toString());
    }

    private static EndpointSpec spec(int id, String iface, String namespace) {
        return SpecReader.endpoint("endpoints/" + id + ".yaml", Fixtures.endpointYaml(id, Map.of("app", "a" + id))
                .replace("interface: lxc" + id, "interface: " + iface) + "namespace: " + namespace + "\n");
    }
}
