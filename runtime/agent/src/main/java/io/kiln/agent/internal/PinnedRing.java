package io.kiln.agent.internal;

import io.kiln.bpf.BpfMap;
import io.kiln.bpf.RingBuffer;
import io.kiln.bpf.RingBufferReader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A node ring buffer the agent reads once it is pinned. The node maps are pinned when the first
 * endpoint of the node loads, which may be long after the agent started: a thread
 * {@code NAME-open} looks for the ring's pin (and the other pins {@link #requires} names) every
 * {@code poll}, opens the ring and starts a {@link RingBufferReader} ({@code NAME-read}) on it,
 * runs {@link #onOpen} and ends. A failed open is reported to {@link #onError} as
 * {@code open PIN: why} and tried again at the next poll.
 *
 * <p>{@link #stop()} ends the looking (a ring opened meanwhile is closed at once, never kept);
 * {@link #close()} also stops the reader after its current batch and frees the ring.
 */
public final class PinnedRing implements AutoCloseable {
    private static final long JOIN_MILLIS = 5000;

    private final Path pin;
    private final String name;
    private final Duration poll;
    private final RingBuffer.Handler handler;
    private final List<Path> required = new ArrayList<>();
    private final Thread opener;
    private Runnable onOpen = () -> { };
    private Consumer<String> onError = e -> { };
    private boolean stopped; // guarded by this: the opener keeps what it opened only while false
    private volatile RingBufferReader reader;
    private volatile BpfMap map;

    /**
     * @param pin     the ring buffer map's pin
     * @param name    the threads' prefix, e.g. {@code kiln-flows}
     * @param poll    how often the pins are looked for
     * @param handler gets each record, on the reader's thread
     */
    public PinnedRing(Path pin, String name, Duration poll, RingBuffer.Handler handler) {
        this.pin = Objects.requireNonNull(pin, "pin");
        this.name = Objects.requireNonNull(name, "name");
        if (poll == null || poll.isNegative() || poll.isZero()) {
            throw new IllegalArgumentException("ring " + pin + ": poll interval " + poll + ": expected more than 0");
        }
        this.poll = poll;
        this.handler = Objects.requireNonNull(handler, "handler");
        this.opener = new Thread(this::openWhenPinned, name + "-open");
        this.opener.setDaemon(true);
    }

    /** Opens the ring only once {@code otherPin} exists too. Call before {@link #start()}. */
    public PinnedRing requires(Path otherPin) {
        required.add(Objects.requireNonNull(otherPin, "otherPin"));
        return this;
    }

    /** Runs {@code r} on the opener's thread once the reader runs (not if stopped first). Call before {@link #start()}. */
    public PinnedRing onOpen(Runnable r) {
        this.onOpen = Objects.requireNonNull(r, "onOpen");
        return this;
    }

    /** Where a failed open is told ({@code open PIN: why}). Call before {@link #start()}. */
    public PinnedRing onError(Consumer<String> c) {
        this.onError = Objects.requireNonNull(c, "onError");
        return this;
    }

    public PinnedRing start() {
        opener.start();
        return this;
    }

    /** Whether the reader is attached to the ring (false until its pins exist, and after a failed poll). */
    public boolean reading() {
        RingBufferReader r = reader;
        return r != null && r.isRunning();
    }

    private boolean pinned() {
        return Files.exists(pin) && required.stream().allMatch(Files::exists);
    }

    private void openWhenPinned() {
        while (!isStopped()) {
            if (pinned()) {
                try {
                    BpfMap m = BpfMap.openPinned(pin);
                    RingBufferReader r;
                    try {
                        r = RingBufferReader.start(m, name + "-read", handler);
                    } catch (RuntimeException notARing) {
                        m.close(); // not left to the cleaner: each poll would hold one more handle until a GC
                        throw notARing;
                    }
                    synchronized (this) {
                        if (stopped) {
                            r.close();
                            m.close();
                            return;
                        }
                        map = m;
                        reader = r;
                    }
                    onOpen.run();
                    return;
                } catch (RuntimeException e) {
                    onError.accept("open " + pin + ": " + e.getMessage());
                }
            }
            try {
                Thread.sleep(poll.toMillis());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private synchronized boolean isStopped() {
        return stopped;
    }

    /** No more looking for the pins; a reader already running goes on until {@link #close()}. Idempotent. */
    public void stop() {
        synchronized (this) {
            stopped = true;
        }
        opener.interrupt();
    }

    /** Stops looking, stops the reader (after its current batch), waits for the opener and frees the ring. Idempotent. */
    @Override
    public void close() {
        stop();
        RingBufferReader r = reader;
        if (r != null) {
            r.close();
        }
        try {
            opener.join(JOIN_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        BpfMap m = map;
        if (m != null) {
            m.close();
        }
    }
}
