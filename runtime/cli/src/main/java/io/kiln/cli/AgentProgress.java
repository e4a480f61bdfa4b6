package io.kiln.cli;

import io.kiln.agent.Agent;
import io.kiln.agent.api.AgentStatus;
import io.kiln.agent.api.EndpointStatus;
import io.kiln.agent.spec.SpecError;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What {@code kiln agent} prints while it runs: during start-up, how many endpoints are ready out
 * of how many ("regenerating 37/200"), at most once a second; after it, each endpoint that becomes
 * ready, fails or goes, and each spec that cannot be used. It watches the reconciler's status.
 */
final class AgentProgress implements AutoCloseable {
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");
    private static final long POLL_MILLIS = 250;

    private final Agent agent;
    private final PrintWriter out;
    private final Thread thread;
    private final long started = System.nanoTime();
    private final Map<Integer, String> shown = new HashMap<>();
    private final Set<String> errorsShown = new HashSet<>();
    private volatile boolean closed;
    private boolean startingUp = true;
    private boolean synced;
    private int lastReady = -1;
    private long lastProgress;

    AgentProgress(Agent agent, PrintWriter out) {
        this.agent = agent;
        this.out = out;
        this.thread = new Thread(this::run, "kiln-agent-progress");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void run() {
        while (!closed) {
            try {
                step(agent.reconciler().status(), agent.reconciler().awaitSettled(Duration.ZERO));
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                say("progress: " + e); // never let a display problem stop the agent
            }
        }
    }

    private void step(AgentStatus st, boolean settled) {
        if (!st.synced()) {
            return;
        }
        if (!synced) {
            synced = true;
            say("sources synced: " + st.total() + " endpoint(s)");
        }
        for (SpecError e : st.errors()) {
            if (errorsShown.add(e.message())) {
                say("spec not used: " + e.message());
            }
        }
        errorsShown.retainAll(st.errors().stream().map(SpecError::message).collect(Collectors.toSet()));
        if (startingUp) {
            long now = System.nanoTime();
            if (st.ready() != lastReady && (now - lastProgress > 1_000_000_000L || lastReady < 0)) {
                say("regenerating " + st.ready() + "/" + st.total() + " ...");
                lastReady = st.ready();
                lastProgress = now;
            }
            if (settled) {
                startingUp = false;
                say(String.format("ready: %d/%d endpoint(s) after %.1f s", st.ready(), st.total(),
                        (now - started) / 1e9));
            }
        }
        Set<Integer> present = new HashSet<>();
        for (EndpointStatus e : st.endpoints()) {
            present.add(e.id());
            String line = describe(e);
            if (line != null && !line.equals(shown.get(e.id()))) {
                shown.put(e.id(), line);
                if (!startingUp || e.state() == EndpointStatus.State.NOT_READY) {
                    say(line);
                }
            }
        }
        for (Integer gone : Set.copyOf(shown.keySet())) {
            if (!present.contains(gone)) {
                shown.remove(gone);
                say("endpoint " + gone + ": removed");
            }
        }
    }

    /** One line per state worth telling; null for work in progress. */
    private static String describe(EndpointStatus e) {
        return switch (e.state()) {
            case READY -> "endpoint " + e.id() + ": ready" + (e.lastChange() == null ? " (adopted)"
                    : "STATE_ONLY".equals(e.lastChange()) ? " (policy map written, no reload)" : " (" + e.lastChange()
                    + (e.lastRegenerationMillis() == null ? "" : " in " + e.lastRegenerationMillis() + " ms") + ")")
                    + " programs " + new java.util.TreeMap<>(e.programIds()).entrySet().stream()
                    .map(p -> p.getKey() + "=" + p.getValue()).collect(Collectors.joining(" "));
            case NOT_READY -> "endpoint " + e.id() + ": not ready: " + (e.reason() == null ? "(no reason)"
                    : e.reason().lines().findFirst().orElse(""));
            case PENDING, REMOVING -> null;
        };
    }

    private void say(String message) {
        synchronized (out) {
            out.println(LocalTime.now().format(CLOCK) + " kiln agent: " + message);
            out.flush();
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
