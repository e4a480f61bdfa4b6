package io.kiln.agent.dataplane;

import io.kiln.agent.reconcile.Dataplane.HookSummary;
import io.kiln.runtime.AttachMode;
import io.kiln.runtime.AttachedEndpoint;
import io.kiln.runtime.Attachment;
import io.kiln.runtime.EndpointLoader;
import io.kiln.runtime.PolicyChain;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The tc hooks of the endpoints an agent adopts, brought to the kind its {@code --attach} asks for.
 * At adoption, what a move cut short by an agent's death left beside the recorded hooks is taken off
 * (whatever {@code --attach} says), then an endpoint attached the other way is moved
 * ({@link EndpointLoader#moveTcHooks}: the new kind first, then the old one off; same programs, same
 * maps). An endpoint with a policy chain keeps its kind (the chain's order is kept per kind). A move
 * that fails leaves the endpoint on its kind, says why on stderr and is tried again later
 * ({@link TcMoves}: after 1 s, doubling up to 60 s, {@value TcMoves#ATTEMPTS} attempts in all); a
 * retry and a detach of the same endpoint never run at once.
 */
final class TcHookMover implements AutoCloseable {
    private final EndpointLoader loader;
    private final PolicyChain chains;
    private final Map<Integer, AttachedEndpoint> attached; // the dataplane's: the handle each endpoint has now
    private final Predicate<AttachedEndpoint> intact;
    private final TcMoves moves = new TcMoves();
    private final Map<Integer, Object> guards = new ConcurrentHashMap<>();

    TcHookMover(EndpointLoader loader, PolicyChain chains, Map<Integer, AttachedEndpoint> attached,
                Predicate<AttachedEndpoint> intact) {
        this.loader = loader;
        this.chains = chains;
        this.attached = attached;
        this.intact = intact;
    }

    /** An endpoint adopted with its hooks intact: strays go, then the move {@code --attach} asks for, if any. */
    void adopted(AttachedEndpoint a) {
        removeStrays(a);
        if (loader.attachMode() != AttachMode.AUTO) {
            move(a);
        }
    }

    /** Runs the detach of endpoint {@code id} with no retry of its move under way; its pending move goes. */
    void detaching(int id, Runnable detach) {
        synchronized (guard(id)) {
            moves.done(id);
            detach.run();
        }
    }

    /** Each attached endpoint's tc hook kind and its pending move, by id; endpoints without tc hooks left out. */
    Map<Integer, HookSummary> hookSummaries() {
        Map<Integer, HookSummary> out = new TreeMap<>();
        tcKinds().forEach((id, kind) -> out.put(id, new HookSummary(kind, moves.pending(id).map(TcMoves::describe)
                .orElse(null))));
        return out;
    }

    /** {@value TcMoves#HOOKS} and {@value TcMoves#PENDING} for {@code /metrics}. */
    List<MetricSnapshot> metrics() {
        return moves.metrics(tcKinds());
    }

    @Override
    public void close() {
        moves.close();
    }

    private void removeStrays(AttachedEndpoint a) {
        try {
            for (String stray : loader.removeStrayTcHooks(a)) {
                System.err.println("kiln agent: endpoint " + a.id() + ": removed " + stray + ", left beside its "
                        + kinds(a) + " hooks by a move between tcx and tc that did not finish");
            }
        } catch (RuntimeException e) {
            System.err.println("kiln agent: endpoint " + a.id() + ": " + e.getMessage());
        }
    }

    private void move(AttachedEndpoint a) {
        Attachment.Kind want = wantedKind();
        if (a.attachments().stream().allMatch(at -> at.kind() == want || at.kind() == Attachment.Kind.XDP_LINK)) {
            moves.done(a.id());
            return; // attached as this agent attaches: the usual restart
        }
        String was = kinds(a);
        try {
            List<AttachedEndpoint> chain = chains.adopt(a.id());
            chain.forEach(AttachedEndpoint::close);
            if (!chain.isEmpty()) {
                moves.done(a.id());
                System.err.println("kiln agent: endpoint " + a.id() + ": attached with " + was + ", kept so (it has a"
                        + " policy chain, whose order is kept per kind); --attach " + loader.attachMode()
                        + " applies to endpoints attached from now on");
                return;
            }
        } catch (RuntimeException e) {
            moves.done(a.id());
            System.err.println("kiln agent: endpoint " + a.id() + ": attached with " + was + ", kept so: "
                    + e.getMessage());
            return;
        }
        attempt(a, was);
    }

    /** One attempt at moving {@code a}'s tc hooks; a failure is handed to {@link #moves} for a later one. */
    private void attempt(AttachedEndpoint a, String was) {
        try {
            if (loader.moveTcHooks(a, TestHalt::at)) {
                System.err.println("kiln agent: endpoint " + a.id() + ": hooks moved from " + was + " to " + kinds(a)
                        + " (--attach " + loader.attachMode() + "), programs " + a.programIds().values());
            }
            moves.done(a.id());
        } catch (RuntimeException e) {
            moves.failed(a.id(), was, wantedKind().label(), e.getMessage(), () -> retry(a));
        }
    }

    /** A retry of a failed move, on {@link TcMoves}'s thread: only while {@code a} is still the endpoint's handle. */
    private void retry(AttachedEndpoint a) {
        synchronized (guard(a.id())) {
            if (attached.get(a.id()) != a) {
                moves.done(a.id()); // detached or attached afresh (with this agent's kind) meanwhile
                return;
            }
            if (!intact.test(a)) {
                moves.failed(a.id(), kinds(a), wantedKind().label(), "a hook does not run the program Kiln"
                        + " recorded (a reload comes first)", () -> retry(a));
                return;
            }
            move(a); // a policy chain attached meanwhile keeps the kind, as at adoption
        }
    }

    private Object guard(int id) {
        return guards.computeIfAbsent(id, k -> new Object());
    }

    private Attachment.Kind wantedKind() {
        return loader.attachMode() == AttachMode.TCX ? Attachment.Kind.TCX_LINK : Attachment.Kind.TC_FILTER;
    }

    private Map<Integer, String> tcKinds() {
        Map<Integer, String> out = new TreeMap<>();
        for (AttachedEndpoint a : new TreeMap<>(attached).values()) {
            String k = kinds(a);
            if (!k.isEmpty()) {
                out.put(a.id(), k);
            }
        }
        return out;
    }

    /** The kinds of {@code a}'s tc hooks, e.g. "tcx" ("tcx+tc" while a move is half done). */
    private static String kinds(AttachedEndpoint a) {
        return a.attachments().stream().filter(at -> at.kind() != Attachment.Kind.XDP_LINK)
                .map(at -> at.kind().label()).distinct().collect(Collectors.joining("+"));
    }
}
