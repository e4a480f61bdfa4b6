package io.kiln.agent.flow;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The recent flow records, at most {@code capacity}: a ring that overwrites its oldest record.
 * Each record gets the next sequence number; a reader asks for records after the last one it saw
 * and may wait for new ones (how {@code kiln flows --follow} keeps up).
 */
final class FlowStore {
    private final FlowRecord[] ring;
    private long next = 1; // the sequence number of the next record

    FlowStore(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("flow store capacity " + capacity + ": expected at least 1");
        }
        this.ring = new FlowRecord[capacity];
    }

    /** Keeps {@code r} with the next sequence number; returns it so numbered. */
    synchronized FlowRecord add(FlowRecord r) {
        long seq = next++;
        FlowRecord numbered = r.withSeq(seq);
        ring[(int) (seq % ring.length)] = numbered;
        notifyAll();
        return numbered;
    }

    synchronized int size() {
        return (int) Math.min(next - 1, ring.length);
    }

    synchronized long lastSeq() {
        return next - 1;
    }

    /**
     * Records with a sequence number above {@code after} and a time at or after {@code since} (null:
     * any) that match, oldest first, at most {@code limit} (the newest of them). With no match, waits
     * up to {@code wait} for one.
     */
    synchronized List<FlowRecord> query(long after, Instant since, FlowFilter filter, int limit, Duration wait)
            throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        long seen = after;
        while (true) {
            List<FlowRecord> out = new ArrayList<>();
            long first = Math.max(seen + 1, next - ring.length);
            for (long s = first; s < next; s++) {
                FlowRecord r = ring[(int) (s % ring.length)];
                if ((since == null || !r.time().isBefore(since)) && filter.matches(r)) {
                    out.add(r);
                }
            }
            seen = next - 1;
            if (!out.isEmpty()) {
                return out.size() > limit ? List.copyOf(out.subList(out.size() - limit, out.size())) : out;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return out;
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }
}
