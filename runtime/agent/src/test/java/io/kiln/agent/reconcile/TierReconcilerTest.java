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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reconciler over a dataplane that brings endpoints up on tier 0: promotion, its failure, adoption. */
class TierReconcilerTest {
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

    private Reconciler reconciler() {
        Reconciler r = new Reconciler(dataplane, new ReconcilerOptions(2, Duration.ofMillis(20), Duration.ofMillis(80),
                Clock.systemUTC()));
        toClose.add(r);
        return r;
    }

    private Plan plan(List<EndpointSpec> endpoints, List<PolicySpec> policies) {
        return planner.plan(DesiredState.of(endpoints, policies, List.of()), List.of());
    }

    @Test
    void anEndpointUpOnTier0IsReadyThereAndThenPromoted() throws Exception {
        dataplane.tiered = true;
        Reconciler r = reconciler();
        r.start();
        Plan p = plan(List.of(Fixtures.endpoint(1, "app", "web")), List.of(LOCK_WEB));
        // the promotion fails at first: the endpoint stays on tier 0, and says so
        dataplane.promotionFails.add(1);
        r.update(p);
        waitFor(() -> !dataplane.callsOf("promote", 1).isEmpty());
        EndpointStatus on0 = r.status().endpoints().get(0);
        assertEquals(EndpointStatus.State.READY, on0.state(), on0.toString());
        assertEquals(0, on0.tier());
        assertEquals(p.endpoints().get(1).policy(), dataplane.policies.get(1), "policy written with the tier-0 attach");
        dataplane.promotionFails.remove(1);
        waitFor(() -> r.status().endpoints().get(0).tier() == 1);
        assertTrue(r.awaitSettled(WAIT));
        EndpointStatus on1 = r.status().endpoints().get(0);
        assertEquals(EndpointStatus.State.READY, on1.state());
        assertEquals(null, on1.reason());
        assertEquals("PROMOTE", on1.lastChange());
        assertEquals(List.of(ChangeKind.CREATE, ChangeKind.PROMOTE),
                dataplane.regenerations(1).stream().map(RecordingDataplane.Call::kind).distinct().toList());
        assertFalse(dataplane.onTier0.contains(1));
    }

    @Test
    void aFailedPromotionLeavesItReadyOnTier0WithTheReasonAndRetries() throws Exception {
        dataplane.tiered = true;
        dataplane.promotionFails.add(2);
        Reconciler r = reconciler();
        r.start();
        r.update(plan(List.of(Fixtures.endpoint(1, "app", "web"), Fixtures.endpoint(2, "app", "db")), List.of()));
        waitFor(() -> dataplane.callsOf("promote", 2).size() >= 2); // retried with backoff
        AgentStatus st = r.status();
        EndpointStatus one = st.endpoints().get(0);
        EndpointStatus two = st.endpoints().get(1);
        assertEquals(1, one.tier());
        assertEquals(EndpointStatus.State.READY, two.state(), two.toString());
        assertEquals(0, two.tier());
        assertTrue(two.reason().contains("on tier 0 (enforced)") && two.reason().contains("verifier rejected it"),
                two.reason());
        assertTrue(two.failures() >= 1);
        assertEquals(2, st.ready());

        // a policy change still reaches the endpoint on tier 0, as a map write
        Plan locked = plan(List.of(Fixtures.endpoint(1, "app", "web"), Fixtures.endpoint(2, "app", "db")),
                List.of(Fixtures.policy("""
                        name: db
                        endpointSelector: { matchLabels: { app: db } }
                        ingress:
                          - toPorts: [ { port: 5432, protocol: TCP } ]
                        """)));
        r.update(locked);
        waitFor(() -> locked.endpoints().get(2).policy().equals(dataplane.policies.get(2)));
        dataplane.promotionFails.remove(2);
        waitFor(() -> r.status().endpoints().get(1).tier() == 1);
        assertEquals(null, r.status().endpoints().get(1).reason());
    }

    @Test
    void anAdoptedEndpointOnTier0IsPromotedWithoutAReattach() throws Exception {
        dataplane.tiered = true;
        dataplane.promotionFails.add(1);
        Reconciler first = reconciler();
        first.start();
        Plan p = plan(List.of(Fixtures.endpoint(1, "app", "web")), List.of(LOCK_WEB));
        first.update(p);
        waitFor(() -> !dataplane.callsOf("promote", 1).isEmpty());
        first.close();
        dataplane.adoptWhatRuns();
        dataplane.promotionFails.remove(1);
        int attachesBefore = dataplane.callsOf("attach", 1).size();

        Reconciler second = reconciler();
        second.start();
        assertEquals(0, second.status().endpoints().get(0).tier());
        second.update(p);
        waitFor(() -> second.status().endpoints().get(0).tier() == 1);
        assertEquals(attachesBefore, dataplane.callsOf("attach", 1).size(), "no second attach");
        assertTrue(dataplane.callsOf("policy", 1).isEmpty(), "its policy map was read back: nothing to rewrite");
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
