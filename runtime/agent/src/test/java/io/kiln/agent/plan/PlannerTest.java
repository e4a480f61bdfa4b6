package io.kiln.agent.plan;

import io.kiln.agent.Fixtures;
import io.kiln.agent.identity.IdentityAllocator;
import io.kiln.agent.policy.PolicyAction;
import io.kiln.agent.policy.PolicyKey;
import io.kiln.agent.policy.TrafficDirection;
import io.kiln.agent.spec.AddressLiterals;
import io.kiln.agent.spec.Cidr;
import io.kiln.agent.spec.DesiredState;
import io.kiln.agent.spec.EndpointSpec;
import io.kiln.agent.spec.PolicySpec;
import io.kiln.agent.spec.ServiceSpec;
import io.kiln.agent.spec.SpecError;
import io.kiln.agent.spec.SpecKind;
import io.kiln.agent.spec.SpecReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlannerTest {
    private static final PolicySpec WEB_FROM_CLIENT = Fixtures.policy("""
            name: web
            endpointSelector: { matchLabels: { app: web } }
            ingress:
              - fromEndpoints: [ { matchLabels: { app: client } } ]
                toPorts: [ { port: 80, protocol: TCP } ]
              - fromCIDR: [ 198.19.0.0/16 ]
            """);
    private static final ServiceSpec SERVICE = Fixtures.service("""
            name: web
            vip: 198.18.200.1
            port: 80
            backends: [ { address: 198.18.0.2, port: 8080 }, { address: 198.18.0.1, port: 8080 } ]
            """);

    private final Planner planner = new Planner(Fixtures.catalog(), IdentityAllocator.inMemory());

    @Test
    void aPolicyOnlyChangeRedoesTheEndpointsItSelectsAndGivesWhatAFullPlanGives() {
        List<EndpointSpec> eps = List.of(Fixtures.endpoint(1, "app", "web"), Fixtures.endpoint(2, "app", "client"),
                Fixtures.endpoint(3, "app", "db"));
        Plan first = planner.plan(DesiredState.of(eps, List.of(WEB_FROM_CLIENT), List.of(SERVICE)), List.of());
        assertEquals(0, planner.policyOnlyPlans());
        PolicySpec db = Fixtures.policy("""
                name: db
                endpointSelector: { matchLabels: { app: db } }
                ingress:
                  - fromEndpoints: [ { matchLabels: { app: web } } ]
                    toPorts: [ { port: 5432, protocol: TCP } ]
                """);
        DesiredState withDb = DesiredState.of(eps, List.of(WEB_FROM_CLIENT, db), List.of(SERVICE));
        Plan second = planner.plan(withDb, List.of());
        assertEquals(1, planner.policyOnlyPlans(), "only a policy changed: the quick path");
        assertTrue(second.endpoints().get(1) == first.endpoints().get(1), "web is not selected by db: its plan is kept");
        assertTrue(second.endpoints().get(2) == first.endpoints().get(2));
        assertNotEquals(first.endpoints().get(3).policy(), second.endpoints().get(3).policy());
        Plan full = new Planner(Fixtures.catalog(), IdentityAllocator.inMemory()).plan(withDb, List.of());
        assertEquals(full.endpoints(), second.endpoints(), "the same as a full plan of the node");
        assertEquals(full.node(), second.node());
        assertEquals(full.errors(), second.errors());

        // a policy goes: the endpoints it selected get their default back
        Plan third = planner.plan(DesiredState.of(eps, List.of(WEB_FROM_CLIENT), List.of(SERVICE)), List.of());
        assertEquals(2, planner.policyOnlyPlans());
        assertEquals(first.endpoints(), third.endpoints());

        // a source's error about a policy passes through the quick path too
        SpecError bad = new SpecError(SpecKind.POLICY, "x", "x.yaml", 2, "ingress", "x.yaml:2: ingress: bad", false);
        Plan fourth = planner.plan(DesiredState.of(eps, List.of(WEB_FROM_CLIENT), List.of(SERVICE)), List.of(bad));
        assertEquals(3, planner.policyOnlyPlans());
        assertEquals(List.of(bad), fourth.errors());
    }

    @Test
    void newCidrsEndpointsOrServicesTakeTheFullPlan() {
        List<EndpointSpec> eps = List.of(Fixtures.endpoint(1, "app", "web"), Fixtures.endpoint(2, "app", "client"));
        planner.plan(DesiredState.of(eps, List.of(), List.of()), List.of());
        Plan cidr = planner.plan(DesiredState.of(eps, List.of(WEB_FROM_CLIENT), List.of()), List.of());
        assertEquals(0, planner.policyOnlyPlans(), "a rule with a CIDR new to the node changes the ipcache");
        assertTrue(cidr.node().ipcache().size() > 2, cidr.node().toString());
        planner.plan(DesiredState.of(eps.subList(0, 1), List.of(WEB_FROM_CLIENT), List.of()), List.of());
        planner.plan(DesiredState.of(eps.subList(0, 1), List.of(WEB_FROM_CLIENT), List.of(SERVICE)), List.of());
        assertEquals(0, planner.policyOnlyPlans());
    }

    @Test
    void plansEndpointsWithDerivedConstantsPoliciesAndNodeMaps() {
        EndpointSpec web = SpecReader.endpoint("e1.yaml", Fixtures.endpointYaml(1, Map.of("app", "web"))
                + "constants: { GATEWAY_IPV4: 198.18.0.254 }\n");
        EndpointSpec client = Fixtures.endpoint(2, "app", "client");
        Plan plan = planner.plan(DesiredState.of(List.of(web, client), List.of(WEB_FROM_CLIENT), List.of(SERVICE)), List.of());
        assertEquals(List.of(), plan.errors());
        EndpointPlan p1 = plan.endpoints().get(1);
        EndpointPlan p2 = plan.endpoints().get(2);
        assertNotEquals(p1.identity(), p2.identity());
        assertEquals(Map.of("ENDPOINT_ID", 1L, "IDENTITY", (long) p1.identity(), "ENDPOINT_IPV4", "198.18.0.1",
                "ENDPOINT_MAC", "02:00:00:00:00:01", "GATEWAY_IPV4", "198.18.0.254"), p1.constants());
        assertEquals("enforce", p1.build().get("policyMode"));
        assertEquals(PolicyAction.ALLOW, p1.policy().verdict(p2.identity(), 80, 6, TrafficDirection.INGRESS));
        assertEquals(PolicyAction.DENY, p1.policy().verdict(p2.identity(), 22, 6, TrafficDirection.INGRESS));

        Map<Cidr, Integer> ipcache = plan.node().ipcache();
        assertEquals(p1.identity(), ipcache.get(Cidr.parse("198.18.0.1/32")));
        assertEquals(p2.identity(), ipcache.get(Cidr.parse("198.18.0.2/32")));
        int cidrIdentity = ipcache.get(Cidr.parse("198.19.0.0/16"));
        assertEquals(PolicyAction.ALLOW, p1.policy().get(new PolicyKey(cidrIdentity, 0, 0, TrafficDirection.INGRESS)));
        assertEquals(2, plan.node().services().values().iterator().next().backendCount());
        assertEquals("198.18.0.1", AddressLiterals.format(plan.node().backends().values().iterator().next().address()),
                "backends fill slots in address order");
        assertEquals(2, plan.node().localEndpoints().size());
    }

    @Test
    void aClashingEndpointFailsAloneAndKeepsItsPreviousSpec() {
        EndpointSpec web = Fixtures.endpoint(1, "app", "web");
        EndpointSpec db = Fixtures.endpoint(2, "app", "db");
        Plan first = planner.plan(DesiredState.of(List.of(web, db), List.of(), List.of()), List.of());
        int dbIdentity = first.endpoints().get(2).identity();

        EndpointSpec dbSameAddress = SpecReader.endpoint("endpoints/2.yaml",
                Fixtures.endpointYaml(2, Map.of("app", "db")).replace("198.18.0.2", "198.18.0.1"));
        EndpointSpec newcomer = SpecReader.endpoint("endpoints/3.yaml",
                Fixtures.endpointYaml(3, Map.of("app", "cache")) + "identity: " + dbIdentity + "\n");
        Plan second = planner.plan(DesiredState.of(List.of(web, dbSameAddress, newcomer), List.of(), List.of()), List.of());
        assertEquals(Set.of(1, 2), second.endpoints().keySet());
        assertEquals(first.endpoints().get(2), second.endpoints().get(2), "endpoint 2 keeps its previous spec");
        assertEquals(first.endpoints().get(1), second.endpoints().get(1), "endpoint 1 is untouched");
        SpecError addr = error(second, "2");
        assertTrue(addr.previousKept());
        assertEquals("addresses.ipv4", addr.field());
        assertTrue(addr.message().contains("endpoint 1 already has address 198.18.0.1"), addr.message());
        SpecError clash = error(second, "3");
        assertFalse(clash.previousKept());
        assertEquals(7, clash.line());
        assertTrue(clash.message().startsWith("endpoints/3.yaml:7: identity: identity clash: identity " + dbIdentity),
                clash.message());
        assertEquals(Set.of(3), second.held());
    }

    @Test
    void unknownTemplateIsAnErrorOfThatEndpoint() {
        EndpointSpec bad = SpecReader.endpoint("endpoints/4.yaml",
                Fixtures.endpointYaml(4, Map.of("app", "x")).replace("template: endpoint", "template: nope"));
        Plan plan = planner.plan(DesiredState.of(List.of(bad, Fixtures.endpoint(5, "app", "y")), List.of(), List.of()),
                List.of());
        assertEquals(Set.of(5), plan.endpoints().keySet());
        assertEquals("endpoints/4.yaml:3: template: unknown template 'nope'; known: endpoint", error(plan, "4").message());
        assertEquals(Set.of(4), plan.held());
    }

    @Test
    void identitiesAreStableAcrossPlannersOnOneFile(@TempDir Path dir) {
        Path file = dir.resolve("identities.json");
        DesiredState d = DesiredState.of(List.of(Fixtures.endpoint(1, "app", "web"), Fixtures.endpoint(2, "app", "db")),
                List.of(WEB_FROM_CLIENT), List.of(SERVICE));
        Plan before = new Planner(Fixtures.catalog(), IdentityAllocator.open(file), List.of(), Clock.systemUTC())
                .plan(d, List.of());
        Plan after = new Planner(Fixtures.catalog(), IdentityAllocator.open(file), List.of(), Clock.systemUTC())
                .plan(d, List.of());
        assertEquals(before.endpoints(), after.endpoints());
        assertEquals(before.node(), after.node());
    }

    @Test
    void sourceErrorsHoldEndpointsOrMakeThePlanIncomplete() {
        SpecError known = new SpecError(SpecKind.ENDPOINT, "7", "endpoints/7.yaml", 2, "x", "bad", false);
        SpecError unknown = new SpecError(SpecKind.ENDPOINT, null, "endpoints/8.yaml", 1, "", "malformed", false);
        Plan plan = planner.plan(DesiredState.EMPTY, List.of(known));
        assertEquals(Set.of(7), plan.held());
        assertTrue(plan.complete());
        assertFalse(planner.plan(DesiredState.EMPTY, List.of(unknown)).complete());
    }

    @Test
    void classifiesChanges() {
        EndpointSpec web = Fixtures.endpoint(1, "app", "web");
        EndpointPlan base = planner.plan(DesiredState.of(List.of(web), List.of(), List.of()), List.of()).endpoints().get(1);
        assertEquals(ChangeKind.CREATE, ChangeKind.between(null, null, base));
        assertEquals(ChangeKind.REMOVE, ChangeKind.between(base.fingerprint(), base.policy(), null));
        assertEquals(ChangeKind.NONE, ChangeKind.between(base.fingerprint(), base.policy(), base));
        EndpointPlan policyOnly = planner.plan(DesiredState.of(List.of(web), List.of(WEB_FROM_CLIENT), List.of()),
                List.of()).endpoints().get(1);
        assertEquals(ChangeKind.STATE_ONLY, ChangeKind.between(base.fingerprint(), base.policy(), policyOnly));
        assertEquals(ChangeKind.CONSTANTS, kind(base, web, "constants: { GATEWAY_IPV4: 198.18.0.254 }\n"));
        assertEquals(ChangeKind.VARIANT, kind(base, web, "build: { ipv6: true }\n"));
        assertEquals(ChangeKind.RECREATE, kind(base, web, "namespace: ep1\n"));
        assertEquals(ChangeKind.NONE, kind(base, web, "build: { ipv6: false }\n"), "a default written out is no change");
        PlanFingerprint f = base.fingerprint();
        assertEquals(16, f.sources().length(), "the template's files are digested: " + f.sources());
        PlanFingerprint otherSources = new PlanFingerprint(f.attachment(), f.template(), f.build(), f.constants(),
                "0123456789abcdef");
        assertEquals(ChangeKind.VARIANT, ChangeKind.between(otherSources, base.policy(), base),
                "the same parameters of changed template files (a new Kiln, a new image): the new variant");
        PlanFingerprint older = new PlanFingerprint(f.attachment(), f.template(), f.build(), f.constants(), "");
        assertEquals(ChangeKind.VARIANT, ChangeKind.between(older, base.policy(), base),
                "a fingerprint without a digest (an older Kiln's): the new variant, once");
    }

    @Test
    void theSourcesDigestFollowsEveryFileOfTheTemplateAndItsIncludes(@TempDir Path tmp) throws Exception {
        Path root = java.nio.file.Files.createDirectories(tmp.resolve("t"));
        Path inc = java.nio.file.Files.createDirectories(tmp.resolve("include"));
        java.nio.file.Files.writeString(inc.resolve("a.h"), "#define A 1\n");
        java.nio.file.Files.writeString(root.resolve("t.bpf.c.ftl"), "int x;\n");
        String first = TemplateSources.digest(descriptor(root, inc, "one"));
        assertEquals(first, TemplateSources.digest(descriptor(root, inc, "two")), "same files, same digest");
        java.nio.file.Files.writeString(inc.resolve("a.h"), "#define A 2\n");
        String changed = TemplateSources.digest(descriptor(root, inc, "three"));
        assertEquals(16, changed.length());
        assertNotEquals(first, changed, "an include changed");
    }

    /** A descriptor of {@code root} with {@code inc}; {@code file} names it (digests are taken once per descriptor file). */
    private static io.kiln.template.TemplateDescriptor descriptor(Path root, Path inc, String file) {
        return new io.kiln.template.TemplateDescriptor("t", root, root.resolve(file + ".template.yaml"),
                root.resolve("t.bpf.c.ftl"), List.of(root, inc), List.of(), List.of(), List.of(), List.of(),
                io.kiln.template.CompileOptions.DEFAULT);
    }

    private ChangeKind kind(EndpointPlan base, EndpointSpec spec, String extra) {
        EndpointSpec changed = SpecReader.endpoint("e.yaml", Fixtures.endpointYaml(spec.id(), spec.labels().map()) + extra);
        EndpointPlan p = planner.plan(DesiredState.of(List.of(changed), List.of(), List.of()), List.of()).endpoints().get(1);
        return ChangeKind.between(base.fingerprint(), base.policy(), p);
    }

    @Test
    void aMillionDigitBuildParameterIsRefusedFastWithAShortEcho() {
        for (String digits : List.of("1".repeat(1_000_000), "\"" + "1".repeat(1_000_000) + "\"")) {
            long start = System.nanoTime();
            String yaml = Fixtures.endpointYaml(4, Map.of("app", "x")) + "build: {policySize: " + digits + "}\n";
            Plan plan;
            try {
                EndpointSpec spec = SpecReader.endpoint("endpoints/4.yaml", yaml);
                start = System.nanoTime(); // reading 1 MB of YAML takes ~1.5 s cold; the check itself must be quick
                plan = planner.plan(DesiredState.of(List.of(spec), List.of(), List.of()), List.of());
            } catch (io.kiln.agent.spec.SpecException e) {
                assertTrue(e.getMessage().length() < 300, e.getMessage().substring(0, Math.min(300, e.getMessage().length())));
                assertTrue((System.nanoTime() - start) / 1_000_000 < 1_000, "refused in a second");
                continue;
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            SpecError e = error(plan, "4");
            assertTrue(millis < 500, "refused in " + millis + " ms (13 s before the length cap)");
            assertTrue(e.message().length() < 300, e.message().substring(0, Math.min(300, e.message().length())));
            assertTrue(e.message().contains("policySize"), e.message());
            assertTrue(e.message().contains("... (1000000 chars)"), e.message());
        }
    }

    private static SpecError error(Plan plan, String key) {
        return plan.errors().stream().filter(e -> key.equals(e.key())).findFirst().orElseThrow(
                () -> new AssertionError("no error for " + key + " in " + plan.errors()));
    }
}
