package io.kiln.demo;

import java.io.PrintWriter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * What a demo or benchmark made, undone in reverse order exactly once: when it ends, when it
 * fails, or from a shutdown hook when the JVM is stopped (Ctrl-C, SIGTERM) halfway. Every step
 * runs even if an earlier one failed; failures are collected and reported, never thrown past the
 * remaining steps.
 */
public final class Cleanup implements AutoCloseable {
    private final Deque<Step> steps = new ArrayDeque<>();
    private final Thread hook;
    private final PrintWriter log;
    private boolean done;

    private record Step(String what, Runnable action) {
    }

    /** @param log where a failed step is reported (null: nowhere) */
    public Cleanup(PrintWriter log) {
        this.log = log;
        this.hook = new Thread(this::runFromHook, "kiln-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Registers an undo step; steps run last-registered first. */
    public synchronized void add(String what, Runnable action) {
        if (done) {
            throw new IllegalStateException("cleanup already ran; cannot add " + what);
        }
        steps.push(new Step(what, action));
    }

    private void runFromHook() {
        if (log != null) {
            log.println();
            log.println("kiln: interrupted; cleaning up");
            log.flush();
        }
        runAll();
    }

    /** Runs every step (once); returns the failures as "what: message". */
    public synchronized List<String> runAll() {
        List<String> failures = new ArrayList<>();
        if (done) {
            return failures;
        }
        done = true;
        while (!steps.isEmpty()) {
            Step s = steps.pop();
            try {
                s.action().run();
            } catch (RuntimeException | Error e) {
                failures.add(s.what() + ": " + e.getMessage());
                if (log != null) {
                    log.println("kiln: cleanup: " + s.what() + ": " + e.getMessage());
                    log.flush();
                }
            }
        }
        return failures;
    }

    /** Runs every step and removes the shutdown hook (unless the JVM is already shutting down). */
    @Override
    public void close() {
        runAll();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // shutting down: the hook runs (or ran) and finds nothing left to do
        }
    }
}
