package io.kiln.bpf.internal;

import java.lang.ref.Cleaner;

/**
 * A file descriptor Kiln owns and closes exactly once. The {@link Cleaner} is only a safety net
 * for a forgotten {@code close()}; users of the fd keep their owner reachable across the native
 * call ({@link java.lang.ref.Reference#reachabilityFence}) so the net never closes an fd in use.
 */
public final class OwnedFd implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final State state;
    private final Cleaner.Cleanable cleanable;

    public OwnedFd(Object owner, int fd) {
        if (fd < 0) {
            throw new IllegalArgumentException("fd " + fd);
        }
        this.state = new State(fd);
        this.cleanable = CLEANER.register(owner, state);
    }

    /** The fd; fails if already closed. */
    public int get() {
        int fd = state.fd;
        if (fd < 0) {
            throw new IllegalStateException("already closed");
        }
        return fd;
    }

    public boolean isOpen() {
        return state.fd >= 0;
    }

    @Override
    public void close() {
        cleanable.clean();
    }

    private static final class State implements Runnable {
        private volatile int fd;

        State(int fd) {
            this.fd = fd;
        }

        @Override
        public synchronized void run() {
            int f = fd;
            fd = -1;
            if (f >= 0) {
                LibC.close(f);
            }
        }
    }
}
