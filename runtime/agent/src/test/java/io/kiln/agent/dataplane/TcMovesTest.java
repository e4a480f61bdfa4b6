package io.kiln.agent.dataplane;

import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The retry schedule of failed moves between tcx and tc (the moves themselves: MoveCrashKernelTest in it/). */
class TcMovesTest {
    @Test
    void aFailedMoveIsTriedAgainAfterAGrowingWaitThenGivenUp() throws Exception {
        try (TcMoves moves = new TcMoves()) {
            CountDownLatch ran = new CountDownLatch(1);
            Instant t0 = Instant.now();
            moves.failed(3, "tcx", "tc", "refused", ran::countDown);
            TcMoves.Pending p = moves.pending(3).orElseThrow();
            assertEquals(1, p.failures());
            long wait = Duration.between(t0, p.nextAttempt()).toMillis();
            assertTrue(wait >= 900 && wait <= 1500, "first wait about 1 s: " + wait);
            assertTrue(ran.await(5, TimeUnit.SECONDS), "the retry ran");
            long[] expected = {2, 4, 8, 16, 32, 60, 60, 60};
            for (int i = 0; i < expected.length; i++) {
                Instant before = Instant.now();
                moves.failed(3, "tcx", "tc", "refused again", () -> { });
                p = moves.pending(3).orElseThrow();
                assertEquals(i + 2, p.failures());
                long w = Duration.between(before, p.nextAttempt()).toMillis();
                assertTrue(Math.abs(w - expected[i] * 1000) < 500, "wait " + (i + 2) + ": " + w + " ms");
            }
            moves.failed(3, "tcx", "tc", "still refused", () -> { throw new AssertionError("given up: no retry"); });
            p = moves.pending(3).orElseThrow();
            assertEquals(TcMoves.ATTEMPTS, p.failures());
            assertNull(p.nextAttempt(), "given up");
            assertEquals("still refused", p.reason());
            GaugeSnapshot.GaugeDataPointSnapshot d = pendingPoint(moves.metrics(Map.of(3, "tcx")));
            assertEquals(TcMoves.ATTEMPTS, d.getValue());
            assertEquals("given_up", d.getLabels().get("state"));
            moves.done(3);
            assertTrue(moves.pending(3).isEmpty());
            assertTrue(moves.metrics(Map.of(3, "tc")).get(1).getDataPoints().isEmpty());
        }
    }

    private static GaugeSnapshot.GaugeDataPointSnapshot pendingPoint(List<MetricSnapshot> metrics) {
        assertEquals(TcMoves.PENDING, metrics.get(1).getMetadata().getName());
        assertEquals(1, metrics.get(1).getDataPoints().size());
        return (GaugeSnapshot.GaugeDataPointSnapshot) metrics.get(1).getDataPoints().get(0);
    }
}
