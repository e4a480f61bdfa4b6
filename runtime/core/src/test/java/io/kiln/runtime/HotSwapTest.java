package io.kiln.runtime;

import io.kiln.bpf.BpfMap;
import io.kiln.lab.UdpFlow;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 200 swaps of the program on the endpoint's ingress hook while UDP crosses it at about 60,000
 * datagrams a second: every datagram sent arrives, exactly once. The two programs alternate the
 * counter slot they count in, so both slots filling up shows that both really ran.
 */
class HotSwapTest {
    private static final int ID = 44;
    private static final int SWAPS = 200;
    private static final int RATE = 60_000;
    private static final Duration LIMIT = Duration.ofSeconds(90);

    @TempDir
    Path state;
    private EndpointLab lab;

    @AfterEach
    void tearDown() {
        if (lab != null) {
            lab.close();
        }
    }

    @ParameterizedTest
    @EnumSource(value = AttachMode.class, names = {"TCX", "LEGACY_TC"})
    void swapsUnderTrafficLoseNothing(AttachMode mode) {
        lab = EndpointLab.create(state);
        EndpointLoader loader = lab.loader(mode);
        TemplateObject object = TestTemplates.gateObject();
        AttachedEndpoint attached = lab.closeLater(loader.attach(object,
                lab.endpoint(ID, TestTemplates.gateConstants(0, 0, ID))));
        Set<Integer> programIds = new HashSet<>(attached.programIds().values());

        long deadline = System.nanoTime() + LIMIT.toNanos();
        long[] swapNanos = new long[SWAPS];
        int swaps = 0;
        UdpFlow.Result result;
        try (UdpFlow flow = lab.closeLater(UdpFlow.start(lab.peerNs, lab.epNs,
                new InetSocketAddress(EndpointLab.EP_ADDR, EndpointLab.port()), RATE, 20_000_000L, LIMIT))) {
            assertTrue(flow.awaitReceived(1_000, Duration.ofSeconds(10)), "traffic flows before the first swap");
            while (swaps < SWAPS && System.nanoTime() < deadline) {
                long start = System.nanoTime();
                loader.swap(attached, object, lab.endpoint(ID, TestTemplates.gateConstants(0, (swaps + 1) % 2, ID)));
                swapNanos[swaps++] = System.nanoTime() - start;
                programIds.addAll(attached.programIds().values());
            }
            long sentDuringSwaps = flow.sentSoFar();
            EndpointLab.sleep(200); // traffic after the last swap too
            assertTrue(flow.isSending(), "the sender was still sending when the last swap was done");
            result = flow.stop();
            assertTrue(sentDuringSwaps > 0);
        }
        long[] sorted = Arrays.copyOf(swapNanos, swaps);
        Arrays.sort(sorted);
        System.out.printf("hot swap (%s): sent %d, received %d, missing %d, duplicated %d, swaps %d, %.0f packets/s; "
                        + "swap p50 %.2f ms, p99 %.2f ms (specialize + load + replace)%n", mode, result.sent(),
                result.received(), result.missing(), result.duplicated(), swaps, result.packetsPerSecond(),
                sorted[swaps / 2] / 1e6, sorted[Math.min(swaps - 1, (int) Math.ceil(swaps * 0.99) - 1)] / 1e6);

        assertEquals(SWAPS, swaps, "all swaps done within " + LIMIT);
        assertEquals(0, result.missing(), "missing datagrams: " + result);
        assertEquals(0, result.duplicated(), "duplicated datagrams: " + result);
        assertEquals(result.sent(), result.received());
        assertEquals(2 * (SWAPS + 1), programIds.size(), "each swap put new programs on both hooks");
        assertTrue(attached.isIntact());
        try (BpfMap counters = attached.openMap("ks_counters")) {
            long slot0 = TestTemplates.u64(counters.lookup(TestTemplates.u32(0)).orElseThrow());
            long slot1 = TestTemplates.u64(counters.lookup(TestTemplates.u32(1)).orElseThrow());
            assertTrue(slot0 > 0 && slot1 > 0, "both programs counted: " + slot0 + ", " + slot1);
            assertEquals(result.sent(), slot0 + slot1, "every datagram went through one of the programs, none "
                    + "crossed an empty hook (slot 0: " + slot0 + ", slot 1: " + slot1 + ")");
        }
    }
}
