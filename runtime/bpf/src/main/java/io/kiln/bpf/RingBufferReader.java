package io.kiln.bpf;

import java.time.Duration;
import java.util.Objects;

/**
 * A thread that reads a ring buffer map as records come: it sleeps in {@code epoll_wait}
 * ({@link RingBuffer#poll}) and the kernel's wake-up of the ring's epoll fd starts it, so an idle
 * ring costs no CPU. {@link #close()} wakes it through an eventfd in the same epoll set, waits for
 * it to finish its current batch, then frees the ring.
 *
 * <p>A poll that fails (the map went away, say) ends the thread; {@link #failure()} says why.
 */
public final class RingBufferReader implements AutoCloseable {
    /** How long one poll may sleep: only a bound in case a wake-up were ever lost, not a polling interval. */
    private static final Duration POLL_TIMEOUT = Duration.ofSeconds(1);

    private final RingBuffer ring;
    private final Thread thread;
    private volatile boolean stopping;
    private volatile RuntimeException failure;

    private RingBufferReader(RingBuffer ring, String threadName) {
        this.ring = ring;
        this.thread = new Thread(this::run, threadName);
        this.thread.setDaemon(true);
    }

    /** Opens the ring buffer of {@code map} and starts a daemon thread named {@code threadName} reading it. */
    public static RingBufferReader start(BpfMap map, String threadName, RingBuffer.Handler handler) {
        Objects.requireNonNull(handler, "handler");
        RingBuffer ring = RingBuffer.open(map, handler);
        RingBufferReader reader = new RingBufferReader(ring, threadName);
        reader.thread.start();
        return reader;
    }

    private void run() {
        try {
            while (!stopping) {
                ring.poll(POLL_TIMEOUT);
            }
            ring.consume(); // what came before the stop
        } catch (RuntimeException e) {
            failure = e;
        }
    }

    /** Records handed to the handler so far. */
    public long records() {
        return ring.records();
    }

    /** Records whose handler threw. */
    public long handlerErrors() {
        return ring.handlerErrors();
    }

    public String lastHandlerError() {
        return ring.lastHandlerError();
    }

    /** Whether the thread still runs (false after close or after a failed poll). */
    public boolean isRunning() {
        return thread.isAlive();
    }

    /** Why the thread stopped on its own, or null. */
    public RuntimeException failure() {
        return failure;
    }

    /** Stops the thread (at most one batch of records later) and frees the ring. Idempotent. */
    @Override
    public void close() {
        stopping = true;
        ring.wakeUp();
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        ring.close();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
