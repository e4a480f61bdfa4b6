package io.kiln.bpf;

import com.sun.jna.Pointer;
import io.kiln.bpf.internal.Failures;
import io.kiln.bpf.internal.LibBpf;
import io.kiln.bpf.internal.LibC;
import io.kiln.bpf.internal.LibbpfLoader;
import io.kiln.bpf.internal.LibbpfLog;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The consumer side of a {@code BPF_MAP_TYPE_RINGBUF} map, through libbpf's ring buffer API
 * ({@code ring_buffer__new}, {@code __poll}, {@code __consume}, {@code __epoll_fd},
 * {@code __free}). {@link #poll} blocks in {@code epoll_wait} until the kernel signals new records
 * (or the timeout), then hands each record to the {@link Handler} on the calling thread.
 *
 * <p>Not thread-safe, like libbpf's: one thread polls or consumes at a time ({@link RingBufferReader}
 * is that thread). {@link #wakeUp()} and {@link #close()} may come from any thread: a wake-up makes a
 * blocked poll return at once; close waits for no poll, so stop the polling thread first
 * ({@link RingBufferReader#close()} does).
 */
public final class RingBuffer implements AutoCloseable {
    private static final int TYPE_RINGBUF = 27;

    /**
     * Receives one record. The buffer (native byte order, read-only) points into the ring and is
     * valid only during the call: copy what you keep. An exception is counted
     * ({@link #handlerErrors()}), the record is consumed and the next one goes on.
     */
    @FunctionalInterface
    public interface Handler {
        void onRecord(ByteBuffer record);
    }

    private final String context;
    private final Handler handler;
    private final LibBpf.RingBufferSampleFn callback; // a field: JNA must not lose it to the GC while libbpf holds it
    private final int wakeFd;
    private final AtomicLong records = new AtomicLong();
    private final AtomicLong handlerErrors = new AtomicLong();
    private volatile String lastHandlerError;
    private volatile Pointer rb;
    private boolean wakeClosed;

    private RingBuffer(String context, Handler handler) {
        this.context = context;
        this.handler = handler;
        this.callback = this::sample;
        int fd = LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        if (fd < 0) {
            throw Failures.error(context, "create wake-up eventfd", com.sun.jna.Native.getLastError());
        }
        this.wakeFd = fd;
    }

    /** Opens the consumer of a ring buffer map (an object's loaded map or one opened from a pin). */
    public static RingBuffer open(BpfMap map, Handler handler) {
        LibbpfLoader.require();
        String context = map.context() + ": ring buffer";
        if (map.definition().type() != TYPE_RINGBUF) {
            throw new BpfException(context + ": open: the map is of type " + map.definition().typeName() + ", not ringbuf",
                    0, true, null);
        }
        RingBuffer ring = new RingBuffer(context, handler);
        try {
            LibbpfLog.begin();
            ring.rb = Failures.checkPointer(LibBpf.ring_buffer__new(map.fd(), ring.callback, null, null), context,
                    "ring_buffer__new");
            // The eventfd joins libbpf's epoll set with data 0, so a wake-up reads as "ring 0 may have
            // records": libbpf consumes ring 0 (harmlessly) and poll returns.
            byte[] event = new byte[16]; // struct epoll_event: 12 bytes packed on x86_64, 16 on arm64; data 0 either way
            ByteBuffer.wrap(event).order(ByteOrder.nativeOrder()).putInt(0, LibC.EPOLLIN);
            int ret = LibC.epoll_ctl(LibBpf.ring_buffer__epoll_fd(ring.rb), LibC.EPOLL_CTL_ADD, ring.wakeFd, event);
            if (ret < 0) {
                throw Failures.error(context, "add wake-up eventfd to epoll", com.sun.jna.Native.getLastError());
            }
            return ring;
        } catch (RuntimeException e) {
            ring.close();
            throw e;
        } finally {
            Reference.reachabilityFence(map);
        }
    }

    /**
     * Waits up to {@code timeout} for records (in {@code epoll_wait}), then consumes every record
     * ready. Returns how many were handed to the handler: 0 on a timeout, a wake-up or a signal.
     */
    public int poll(Duration timeout) {
        long ms = Math.min(Integer.MAX_VALUE, Math.max(0, timeout.toMillis()));
        int ret = LibBpf.ring_buffer__poll(handle(), (int) ms);
        if (ret == -Errno.EINTR) {
            return 0;
        }
        return Failures.check(ret, context, "poll");
    }

    /** Consumes every record ready now, without waiting. */
    public int consume() {
        return Failures.check(LibBpf.ring_buffer__consume(handle()), context, "consume");
    }

    /** libbpf's epoll fd: readable when the ring has records (or after {@link #wakeUp()}), for a caller's own event loop. */
    public int epollFd() {
        return LibBpf.ring_buffer__epoll_fd(handle());
    }

    /** Makes a {@link #poll} blocked in another thread return now (and the next one, until {@link #clearWakeUp()}). */
    public synchronized void wakeUp() {
        if (wakeClosed) {
            return;
        }
        byte[] one = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(1).array();
        LibC.write(wakeFd, one, 8);
    }

    /** Resets a {@link #wakeUp()} so that polls block again. */
    public synchronized void clearWakeUp() {
        if (wakeClosed) {
            return;
        }
        LibC.read(wakeFd, new byte[8], 8);
    }

    /** Records handed to the handler so far. */
    public long records() {
        return records.get();
    }

    /** Records whose handler threw. */
    public long handlerErrors() {
        return handlerErrors.get();
    }

    /** The message of the last exception a handler threw, or null. */
    public String lastHandlerError() {
        return lastHandlerError;
    }

    private int sample(Pointer ctx, Pointer data, long size) {
        records.incrementAndGet();
        try {
            handler.onRecord(data.getByteBuffer(0, size).asReadOnlyBuffer().order(ByteOrder.nativeOrder()));
        } catch (RuntimeException | Error e) {
            // never let an exception unwind through libbpf's frames
            handlerErrors.incrementAndGet();
            lastHandlerError = e.toString();
        }
        return 0;
    }

    private Pointer handle() {
        Pointer p = rb;
        if (p == null) {
            throw new BpfException(context + ": already closed");
        }
        return p;
    }

    /** Frees libbpf's consumer (unmapping the ring); no poll may be running. Idempotent. */
    @Override
    public synchronized void close() {
        Pointer p = rb;
        rb = null;
        if (p != null) {
            LibBpf.ring_buffer__free(p);
        }
        if (!wakeClosed) {
            wakeClosed = true;
            LibC.close(wakeFd);
        }
    }

    @Override
    public String toString() {
        return context;
    }
}
