package io.kiln.agent.internal;

import io.kiln.bpf.BpfMap;
import io.kiln.bpf.MapDefinition;
import io.kiln.testing.BpfLeakCheck;
import io.kiln.testing.KernelRequirements;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link PinnedRing} against real maps pinned in bpffs by the test, after the ring was started:
 * it opens only once every pin exists, runs its open step once, reports a pin it cannot read as a
 * ring and tries again, never opens once stopped, and frees what it opened.
 */
class PinnedRingTest {
    private static final MapDefinition RING = new MapDefinition(27, 0, 0, 4096, 0); // BPF_MAP_TYPE_RINGBUF
    private static final MapDefinition ARRAY = new MapDefinition(2, 4, 8, 1, 0);    // BPF_MAP_TYPE_ARRAY
    private static final Duration POLL = Duration.ofMillis(20);

    private BpfLeakCheck leaks;
    private Path dir;
    private final List<BpfMap> maps = new ArrayList<>();
    private final List<Path> pins = new ArrayList<>();

    @BeforeEach
    void pinFolder() throws Exception {
        KernelRequirements.assumeKernel();
        leaks = BpfLeakCheck.begin("kt_pr");
        dir = Path.of("/sys/fs/bpf/kiln-test-" + UUID.randomUUID().toString().substring(0, 8));
        Files.createDirectories(dir);
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (dir == null) {
            return;
        }
        for (Path p : pins) {
            Files.deleteIfExists(p);
        }
        maps.forEach(BpfMap::close);
        Files.deleteIfExists(dir);
        leaks.assertNoLeaks(); // the ring's own handle too
    }

    private void pin(String name, MapDefinition d) {
        BpfMap m = BpfMap.create("kt_pr_" + name, d);
        maps.add(m);
        m.pin(dir.resolve(name));
        pins.add(dir.resolve(name));
    }

    private static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not within 5 s: " + what);
            Thread.sleep(10);
        }
    }

    @Test
    void opensOnceEveryPinExistsAndRunsItsOpenStepOnce() throws Exception {
        AtomicInteger opened = new AtomicInteger();
        List<String> errors = new CopyOnWriteArrayList<>();
        try (PinnedRing ring = new PinnedRing(dir.resolve("ring"), "kt-pr", POLL, r -> { })
                .requires(dir.resolve("other")).onOpen(opened::incrementAndGet).onError(errors::add).start()) {
            Thread.sleep(10 * POLL.toMillis());
            assertFalse(ring.reading(), "no pin yet");
            pin("ring", RING);
            Thread.sleep(10 * POLL.toMillis());
            assertFalse(ring.reading(), "the ring's pin alone is not enough");
            assertEquals(0, opened.get());
            pin("other", ARRAY);
            eventually("reading once both pins exist", ring::reading);
            assertEquals(1, opened.get(), "the open step ran");
            Thread.sleep(10 * POLL.toMillis());
            assertEquals(1, opened.get(), "once: the opener ended");
            assertEquals(List.of(), errors);
        }
    }

    @Test
    void aPinThatIsNoRingIsReportedAndTriedAgain() throws Exception {
        List<String> errors = new CopyOnWriteArrayList<>();
        AtomicInteger opened = new AtomicInteger();
        try (PinnedRing ring = new PinnedRing(dir.resolve("ring"), "kt-pr", POLL, r -> { })
                .onOpen(opened::incrementAndGet).onError(errors::add).start()) {
            pin("ring", ARRAY);
            eventually("the failed open reported", () -> !errors.isEmpty());
            assertTrue(errors.get(0).startsWith("open " + dir.resolve("ring") + ": "), errors.get(0));
            eventually("tried again", () -> errors.size() >= 2);
            assertFalse(ring.reading());
            assertEquals(0, opened.get());

            Files.delete(dir.resolve("ring"));
            pin("ring", RING);
            eventually("reading the ring pinned in its place", ring::reading);
            assertEquals(1, opened.get());
        }
    }

    @Test
    void stoppedItNeverOpensAndCloseFreesTheRing() throws Exception {
        AtomicInteger opened = new AtomicInteger();
        PinnedRing ring = new PinnedRing(dir.resolve("ring"), "kt-pr", POLL, r -> { })
                .onOpen(opened::incrementAndGet).start();
        ring.stop();
        pin("ring", RING);
        Thread.sleep(10 * POLL.toMillis());
        assertFalse(ring.reading());
        assertEquals(0, opened.get(), "stopped before the pin came");
        ring.close();
        ring.close(); // idempotent

        PinnedRing second = new PinnedRing(dir.resolve("ring"), "kt-pr", POLL, r -> { }).start();
        eventually("reading", second::reading);
        second.close();
        assertFalse(second.reading(), "closed: the reader stopped");
        // the test lets go of the map too: it is gone while the ring is still reachable (its close freed its
        // handle, not the cleaner of an unreachable one)
        Files.delete(dir.resolve("ring"));
        pins.clear();
        maps.forEach(BpfMap::close);
        maps.clear();
        leaks.assertNoLeaks();
        Reference.reachabilityFence(second);
    }
}
