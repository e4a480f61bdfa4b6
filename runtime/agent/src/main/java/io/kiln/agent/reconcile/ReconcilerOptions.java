package io.kiln.agent.reconcile;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * How the reconciler schedules work.
 *
 * @param parallelism    endpoints worked on at once (loads, compiles); default the number of cores
 * @param initialBackoff the wait before the first retry of a failed endpoint; doubled at each failure
 * @param maxBackoff     the longest wait between retries
 */
public record ReconcilerOptions(int parallelism, Duration initialBackoff, Duration maxBackoff, Clock clock) {
    public ReconcilerOptions {
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be at least 1, got " + parallelism);
        }
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (initialBackoff.isNegative() || initialBackoff.isZero() || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("backoff: initial must be positive and at most max");
        }
        Objects.requireNonNull(clock, "clock");
    }

    public static ReconcilerOptions defaults() {
        return new ReconcilerOptions(Runtime.getRuntime().availableProcessors(), Duration.ofSeconds(1),
                Duration.ofMinutes(2), Clock.systemUTC());
    }

    public ReconcilerOptions withParallelism(int n) {
        return new ReconcilerOptions(n, initialBackoff, maxBackoff, clock);
    }

    public ReconcilerOptions withBackoff(Duration initial, Duration max) {
        return new ReconcilerOptions(parallelism, initial, max, clock);
    }

    /** The wait after {@code failures} failures in a row (1 = the first). */
    public Duration backoff(int failures) {
        Duration d = initialBackoff;
        for (int i = 1; i < failures && d.compareTo(maxBackoff) < 0; i++) {
            d = d.multipliedBy(2);
        }
        return d.compareTo(maxBackoff) > 0 ? maxBackoff : d;
    }
}
