package io.kiln.agent.reconcile;

import io.kiln.agent.Fixtures;
import io.kiln.agent.api.AgentStatus;
import io.kiln.agent.api.EndpointStatus;
import io.kiln.agent.identity.IdentityAllocator;
import io.kiln.agent.plan.ChangeKind;
import io.kiln.agent.plan.Plan;
import io.kiln.agent.plan.Planner;
import io.kiln.agent.spec.DesiredState;
import io.kiln.agent.spec.EndpointSpec;
import io.kiln.agent.spec.PolicySpec;
import io.kiln.agent.spec.SpecReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReconcilerTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final PolicySpec LOCK_WEB = Fixtures.policy("""
            name: web
            endpointSelector: { matchLabels: { app: web } }
            ingress:
              - toPorts: [ { port: 80, protocol: TCP } ]
            """);

    private final RecordingDataplane dataplane = new RecordingDataplane();
    private final Planner planner = new Planner(Fixtures.catalog(), IdentityAllocator.inMemory());
    private final List<Reconciler> toClose = new ArrayList<>();

    @AfterEach
    void close() {
        toClose.forEach(Reconciler::close);
    }

    private Reconciler reconciler(int parallelism, Duration backoff) {
        Reconciler r = new Reconciler(dataplane, new ReconcilerOptions(parallelism, backoff, backoff.multipliedBy(8),
                Clock.systemUTC()));
        toClose.add(r);
        return r;
    }

    private Plan plan(List<EndpointSpec> endpoints, List<PolicySpec> policies) {
        return planner.plan(DesiredState.of(endpoints, policies, List.of()), List.of());
    }

    @Test
    void bringsEndpointsUpAndAppliesPolicyChangesAsMapWrites() throws Exception {
        Reconciler r = reconciler(2, Duration.ofMillis(10));
        r.start();
        List<EndpointSpec> eps = List.of(Fixtures.endpoint(1, "app", "web"), Fixtures.endpoint(2, "app", "db"));
        Plan first = plan(eps, List.of());
        r.update(first);
        assertTrue(r.awaitSettled(WAIT));
        assertEquals(first.endpoints().get(1).fingerprint(), dataplane.running.get(1));
        assertEquals(first.node(), dataplane.node);
        AgentStatus st = r.status();
        assertEquals(2, st.ready());
        EndpointStatus web = st.endpoints().get(0);
        assertEquals(EndpointStatus.State.READY, web.state());
        assertEquals("CREATE", web.lastChange());
        assertEquals(2, web.programIds().size());
        assertNotNull(web.lastRegeneration());
        assertNotNull(web.lastRegenerationMillis());

        Plan second = plan(eps, List.of(LOCK_WEB));
        r.update(second);
        assertTrue(r.awaitSettled(WAIT));
        assertEquals(1, dataplane.regenerations(1).size(), "a policy change reloads nothing");
        assertEquals(1, dataplane.callsOf("policy", 1).size());
        assertEquals(0, dataplane.callsOf("policy", 2).size(), "endpoint 2 is not selected: no write");
        assertEquals(second.endpoints().get(1).policy(), dataplane.policies.get(1));
        assertEquals("STATE_ONLY", r.status().endpoints().get(0).lastChange());

        r.update(plan(List.of(eps.get(1)), List.of(LOCK_WEB)));
        assertTrue(r.awaitSettled(WAIT));
        assertEquals(1, dataplane.callsOf("detach", 1).size());
        assertEquals(List.of(2), r.status().endpoints().stream().map(EndpointStatus::id).toList());
        String metrics = r.text();
        assertTrue(metrics.contains("kiln_regeneration_seconds_count{kind=\"CREATE\"} 2"), metrics);
        assertTrue(metrics.contains("kiln_regenerations_total{kind=\"REMOVE\",result=\"ok\"} 1"), metrics);
    }

    @Test
    void aPolicyChangeDoesNotWaitBehindAnotherEndpointsRegeneration() throws Exception {
        Reconciler r = reconciler(1, Duration.ofMillis(10));
        r.start();
        List<EndpointSpec> eps = List.of(Fixtures.endpoint(1, "app", "web"), withGateway(2, 1));
        r.update(plan(eps, List.of()));
        assertTrue(r.awaitSettled(WAIT));
        CountDownLatch gate = new CountDownLatch(1);
        dataplane.gates.put(2, gate);
        try {
            r.update(plan(List.of(eps.get(0), withGateway(2, 2)), List.of()));
            waitFor(() -> dataplane.regenerations(2).size() == 2); // the only worker is busy with endpoint 2
            Plan locked = plan(List.of(eps.get(0), withGateway(2, 2)), List.of(LOCK_WEB));
            r.update(locked);
            waitFor(() -> dataplane.callsOf("policy", 1).size() == 1);
            assertEquals(locked.endpoints().get(1).policy(), dataplane.policies.get(1),
                    "written while endpoint 2's regeneration still runs");
            assertEquals(1, dataplane.concurrent.get());
        } finally {
            gate.countDown();
        }
        assertTrue(r.awaitSettled(WAIT));
        assertEquals(2, dataplane.regenerations(2).size());
        assertEquals(1, dataplane.regenerations(1).size(), "the policy change reloaded nothing");
    }

    @Test
    void successivePolicyChangesEndWithTheLastAndTouchNoOtherEndpoint() throws Exception {
        Reconciler r = reconciler(2, Duration.ofMillis(10));
        r.start();
        List<EndpointSpec> eps = List.of(Fixtures.endpoint(1, "app", "web"), Fixtures.endpoint(2, "app", "db"));
        r.update(plan(eps, List.of()));
        assertTrue(r.awaitSettled(WAIT));
        int callsBefore = dataplane.calls.size();
        Plan last = null;
        for (int port = 1; port <= 30; port++) {
            last = plan(eps, List.of(Fixtures.policy("""
                    name: web
                    endpointSelector: { matchLabels: { app: web } }
                    ingress:
                      - toPorts: [ { port: %d, protocol: TCP } ]
                    """.formatted(port))));
            r.update(last);
        }
        assertTrue(r.awaitSettled(WAIT));
        assertEquals(last.endpoints().get(1).policy(), dataplane.policies.get(1));
        synchronized (dataplane.calls) {
            List<RecordingDataplane.Call> after = dataplane.calls.subList(callsBefore, dataplane.calls.size());
            assertTrue(after.stream().allMatch(c -> c.what().equals("policy") && c.endpoint() == 1), after.toString());
        }
        assertEquals(1, dataplane.regenerations(1).size());
    }

    @Test
    void theLatestChangeWinsWhileAnEndpointIsBusy() throws Exception {
        Reconciler r = reconciler(2, Duration.ofMillis(10));
        r.start();
        CountDownLatch gate = new CountDownLatch(1);
        dataplane.gates.put(1, gate);
        r.update(plan(List.of(withGateway(1, 1)), List.of()));
        waitFor(() -> dataplane.regenerations(1).size() == 1);
        for (int i = 2; i <= 6; i++) {
            r.update(plan(List.of(withGateway(1, i)), List.of()));
        }
        gate.countDown();
        assertTrue(r.awaitSettled(WAIT));
        List<RecordingDataplane.Call> regens = dataplane.regenerations(1);
        assertEquals(2, regens.size(), "the first, then only the last of the five changes made meanwhile");
        assertEquals(ChangeKind.CREATE, regens.get(0).kind());
        assertEquals(ChangeKind.CONSTANTS, regens.get(1).kind());
        assertEquals("198.18.9.6", regens.get(1).plan().constants().get("GATEWAY_IPV4"));
    }

    @Test
    void aFailingEndpointIsRetriedWithBackoffAndTouchesNoOther() throws Exception {
        Reconciler r = reconciler(2, Duration.ofMillis(40));
        r.start();
        dataplane.failNext.put(2, new AtomicInteger(3));
        Plan p = plan(List.of(Fixtures.endpoint(1, "app", "a"), Fixtures.endpoint(2, "app", "b"),
                Fixtures.endpoint(3, "app", "c")), List.of());
        r.update(p);
        waitFor(() -> dataplane.regenerations(2).size() == 4);
        assertTrue(r.awaitSettled(WAIT));
        List<RecordingDataplane.Call> attempts = dataplane.regenerations(2);
        for (int i = 1; i < attempts.size(); i++) {
            long gapMillis = (attempts.get(i).nanos() - attempts.get(i - 1).nanos()) / 1_000_000;
            long backoff = 40L << (i - 1);
            assertTrue(gapMillis >= backoff - 5, "retry " + i + " came after " + gapMillis + " ms, backoff " + backoff);
        }
        assertEquals(1, dataplane.regenerations(1).size());
        assertEquals(1, dataplane.regenerations(3).size());
        assertEquals(3, r.status().ready());
    }

    @Test
    void aBrokenEndpointKeepsItsOldProgramAndSaysWhy() throws Exception {
        Reconciler r = reconciler(2, Duration.ofMillis(20));
        r.start();
        r.update(plan(List.of(withGateway(1, 1), Fixtures.endpoint(2, "app", "b")), List.of()));
        assertTrue(r.awaitSettled(WAIT));
        var before = dataplane.running.get(1);
        dataplane.alwaysFail.add(1);
        r.update(plan(List.of(withGateway(1, 2), Fixtures.endpoint(2, "app", "b"), Fixtures.endpoint(3, "app", "c")),
                List.of()));
        waitFor(() -> dataplane.regenerations(1).size() >= 3);
        assertTrue(r.awaitSettled(WAIT));
        assertEquals(before, dataplane.running.get(1), "the old program still runs");
        EndpointStatus one = r.status().endpoints().get(0);
        assertEquals(EndpointStatus.State.NOT_READY, one.state());
        assertTrue(one.reason().contains("verifier rejected it"), one.reason());
        assertTrue(one.failures() >= 2);
        assertNotNull(one.nextRetry());
        assertEquals(EndpointStatus.State.READY, r.status().endpoints().get(2).state(), "endpoint 3 came up meanwhile");
        assertEquals(0, dataplane.callsOf("detach", 1).size());

        dataplane.alwaysFail.remove(1);
        r.update(plan(List.of(withGateway(1, 3), Fixtures.endpoint(2, "app", "b"), Fixtures.endpoint(3, "app", "c")),
                List.of()));
        waitFor(() -> r.status().ready() == 3);
        assertEquals("198.18.9.3", lastRegeneration(1).plan().constants().get("GATEWAY_IPV4"),
                "a new plan is tried at once, not after the backoff");
    }

    @Test
    void boundedParallelism() throws Exception {
        Reconciler r = reconciler(2, Duration.ofMillis(10));
        r.start();
        CountDownLatch gate = new CountDownLatch(1);
        List<EndpointSpec> eps = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
            dataplane.gates.put(i, gate);
            eps.add(Fixtures.endpoint(i, "app", "e" + i));
        }
        r.update(plan(eps, List.of()));
        waitFor(() -> dataplane.concurrent.get() == 2);
        Thread.sleep(100);
        assertEquals(2, dataplane.concurrent.get(), "no third endpoint starts while two are busy");
        gate.countDown();
        assertTrue(r.awaitSettled(WAIT));
        assertEquals(2, dataplane.maxConcurrent.get());
        assertEquals(6, r.status().ready());
    }

    @Test
    void adoptsWhatRunsWithoutReloadingIt() throws Exception {
        List<EndpointSpec> eps = List.of(Fixtures.endpoint(1, "app", "web"), Fixtures.endpoint(2, "app", "db"));
        Plan p = plan(eps, List.of(LOCK_WEB));
        dataplane.adopted = new AdoptedState(List.of(
                new ActualEndpoint(1, p.endpoints().get(1).fingerprint(), p.endpoints().get(1).policy(),
                        Map.of("from_endpoint", 7), "v1"),
                new ActualEndpoint(2, p.endpoints().get(2).fingerprint(), null, Map.of(), "v1"),
                new ActualEndpoint(9, null, null, Map.of(), null)), p.node());
        Reconciler r = reconciler(2, Duration.ofMillis(10));
        r.update(p);
        r.start();
        assertTrue(r.awaitSettled(WAIT));
        assertEquals(0, dataplane.regenerations(1).size(), "same plan: nothing reloaded");
        assertEquals(0, dataplane.callsOf("policy", 1).size(), "same policy: nothing written");
        assertEquals(1, dataplane.callsOf("policy", 2).size(), "unknown policy: written out once");
        assertEquals(0, dataplane.regenerations(2).size());
        assertEquals(1, dataplane.callsOf("detach", 9).size(), "an adopted endpoint no spec wants goes");
        assertEquals(0, dataplane.calls.stream().filter(c -> c.what().equals("node")).count(), "node maps were right");
        assertEquals(Map.of("from_endpoint", 7), r.status().endpoints().get(0).programIds());
    }

    @Test
    void anIncompletePlanOrAHeldEndpointRemovesNothing() throws Exception {
        dataplane.adopted = new AdoptedState(List.of(new ActualEndpoint(8, null, null, Map.of(), null),
                new ActualEndpoint(9, null, null, Map.of(), null)), null);
        Reconciler r = reconciler(1, Duration.ofMillis(10));
        r.start();
        var errors = List.of(new io.kiln.agent.spec.SpecError(io.kiln.agent.spec.SpecKind.ENDPOINT, "8", "e8.yaml", 3,
                        "template", "e8.yaml:3: template: unknown template", false),
                new io.kiln.agent.spec.SpecError(io.kiln.agent.spec.SpecKind.ENDPOINT, null, "x.yaml", 1, "",
                        "x.yaml:1: malformed YAML", false));
        r.update(planner.plan(DesiredState.EMPTY, errors));
        assertTrue(r.awaitSettled(WAIT));
        assertEquals(0, dataplane.calls.stream().filter(c -> c.what().equals("detach")).count());
        EndpointStatus held = r.status().endpoints().get(0);
        assertEquals(EndpointStatus.State.NOT_READY, held.state());
        assertTrue(held.reason().startsWith("spec: e8.yaml:3: template: unknown template"), held.reason());

        r.update(planner.plan(DesiredState.EMPTY, errors.subList(0, 1)));
        assertTrue(r.awaitSettled(WAIT));
        assertEquals(List.of(9), dataplane.calls.stream().filter(c -> c.what().equals("detach")).map(c -> c.endpoint())
                .toList(), "once the plan is complete, only the held endpoint stays");
    }

    @Test
    void nodeMapsAreRetriedAndKickedByALoad() throws Exception {
        dataplane.nodeFailures.set(1);
        // the load waits until the node maps have failed: they run on a lane of their own, and a load
        // that finished before they were tried has nothing to kick (the retry is 30 s away)
        java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
        dataplane.gates.put(1, gate);
        Reconciler r = reconciler(1, Duration.ofSeconds(30));
        r.start();
        Plan p = plan(List.of(Fixtures.endpoint(1, "app", "web")), List.of());
        r.update(p);
        waitFor(() -> dataplane.nodeFailures.get() <= 0);
        gate.countDown();
        waitFor(() -> p.node().equals(dataplane.node));
        assertTrue(r.awaitSettled(WAIT));
        assertEquals(EndpointStatus.State.READY, r.status().node());
    }

    private static EndpointSpec withGateway(int id, int n) {
        return SpecReader.endpoint("e.yaml", Fixtures.endpointYaml(id, Map.of("app", "web"))
                + "constants: { GATEWAY_IPV4: 198.18.9." + n + " }\n");
    }

    private RecordingDataplane.Call lastRegeneration(int id) {
        List<RecordingDataplane.Call> c = dataplane.regenerations(id);
        return c.get(c.size() - 1);
    }

    private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + WAIT);
            }
            Thread.sleep(5);
        }
    }
}
