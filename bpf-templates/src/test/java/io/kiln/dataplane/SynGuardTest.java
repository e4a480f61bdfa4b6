package io.kiln.dataplane;

import static io.kiln.testing.TestRun.TC_ACT_SHOT;
import static io.kiln.testing.TestRun.TC_ACT_UNSPEC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.lab.Packets;
import io.kiln.testing.TemplateUnderTest;
import io.kiln.testing.TestRun;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The chained SYN-flood guard through the testing API, in both variants: within budget a SYN is
 * passed on (-1: TCX_NEXT / TC_ACT_UNSPEC, the next program decides), past it dropped, per source.
 */
class SynGuardTest {
    static final Path SYN_GUARD = Path.of("src/main/bpf/syn_guard");
    private static final String EP_MAC = "02:00:00:00:00:0c";
    private static final String HOST_MAC = "02:00:00:00:00:01";
    private static final int NEXT = TC_ACT_UNSPEC; // -1: "hand it on" in tcx and in cls_bpf direct-action

    private static byte[] syn4(String from, int flags) {
        return Packets.ethernet(HOST_MAC, EP_MAC).ipv4(from, "198.18.0.12").tcp(40000, 80, flags).build();
    }

    private static byte[] syn6(String from) {
        return Packets.ethernet(HOST_MAC, EP_MAC).ipv6(from, "2001:2::c").tcp(40000, 80, Packets.TCP_SYN).build();
    }

    /** The counter slot of a reason the guard declares, for packets the endpoint receives (direction 0). */
    static byte[] reason(io.kiln.templates.SynGuardBpf.DropReason r) {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(r.slot(0)).array();
    }

    private static long count(TemplateUnderTest t, io.kiln.templates.SynGuardBpf.DropReason r) {
        return t.map("syn_metrics").sumU64(reason(r), 0);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void cutsASourceAfterItsBudgetAndPassesEverythingElseOn(boolean ipv6) {
        try (TemplateUnderTest t = TemplateUnderTest.of(SYN_GUARD).parameter("ipv6", ipv6)
                .constant("SYN_BUDGET", 5L).constant("WINDOW_MS", 60_000L).load()) {
            for (int i = 0; i < 5; i++) {
                t.run("syn_guard", syn4("198.18.0.20", Packets.TCP_SYN)).assertVerdict(NEXT);
            }
            t.run("syn_guard", syn4("198.18.0.20", Packets.TCP_SYN)).assertVerdict(TC_ACT_SHOT);
            t.run("syn_guard", syn4("198.18.0.20", Packets.TCP_SYN)).assertVerdict(TC_ACT_SHOT);
            // the same source's established traffic, and another source's SYN, go on
            t.run("syn_guard", syn4("198.18.0.20", Packets.TCP_ACK)).assertVerdict(NEXT);
            t.run("syn_guard", syn4("198.18.0.20", Packets.TCP_SYN | Packets.TCP_ACK)).assertVerdict(NEXT);
            t.run("syn_guard", syn4("198.18.0.21", Packets.TCP_SYN)).assertVerdict(NEXT);
            t.run("syn_guard", Packets.ethernet(HOST_MAC, EP_MAC).ipv4("198.18.0.20", "198.18.0.12").udp(1, 2).build())
                    .assertVerdict(NEXT);
            for (int i = 0; i < 7; i++) {
                // IPv6 SYNs are budgeted only in the ipv6 variant
                t.run("syn_guard", syn6("2001:2::20")).assertVerdict(!ipv6 || i < 5 ? NEXT : TC_ACT_SHOT);
            }
            assertEquals(ipv6 ? 11 : 6, count(t, io.kiln.templates.SynGuardBpf.DropReason.SYN_PASSED), "SYN_PASSED");
            assertEquals(ipv6 ? 4 : 2, count(t, io.kiln.templates.SynGuardBpf.DropReason.SYN_OVER_BUDGET), "SYN_OVER_BUDGET");
            assertEquals(ipv6 ? 3 : 2, t.map("syn_sources").size(), "one LRU entry per source");
        }
    }

    @Test
    void aNewWindowGivesTheBudgetBack() throws InterruptedException {
        try (TemplateUnderTest t = TemplateUnderTest.of(SYN_GUARD).constant("SYN_BUDGET", 2L)
                .constant("WINDOW_MS", 50L).load()) {
            t.run("syn_guard", syn4("198.18.0.20", Packets.TCP_SYN)).assertVerdict(NEXT);
            t.run("syn_guard", syn4("198.18.0.20", Packets.TCP_SYN)).assertVerdict(NEXT);
            t.run("syn_guard", syn4("198.18.0.20", Packets.TCP_SYN)).assertVerdict(TC_ACT_SHOT);
            Thread.sleep(80);
            t.run("syn_guard", syn4("198.18.0.20", Packets.TCP_SYN)).assertVerdict(NEXT);
        }
    }

    /**
     * What the guard adds per packet, through BPF_PROG_TEST_RUN's repeat (one packet run 200,000
     * times; the guard rewrites nothing): a packet it hands on at once (an ACK), and a SYN it charges
     * to its source (an LRU lookup and an atomic add; the budget is never spent here).
     */
    @Test
    void costPerPacket() {
        try (TemplateUnderTest t = TemplateUnderTest.of(SYN_GUARD).constant("SYN_BUDGET", 0xffffffffL)
                .constant("WINDOW_MS", 3_600_000L).load()) {
            int repeat = 200_000;
            TestRun ack = t.run("syn_guard", syn4("198.18.0.20", Packets.TCP_ACK), 0, repeat).assertVerdict(NEXT);
            TestRun syn = t.run("syn_guard", syn4("198.18.0.20", Packets.TCP_SYN), 0, repeat).assertVerdict(NEXT);
            System.out.printf("syn_guard per packet (test run, repeat %d): ACK handed on %d ns, SYN charged %d ns%n",
                    repeat, ack.durationNanos(), syn.durationNanos());
            assertEquals(repeat, count(t, io.kiln.templates.SynGuardBpf.DropReason.SYN_PASSED), "every repeated SYN was charged");
            assertTrue(syn.durationNanos() < 10_000, "a SYN costs microseconds at most: " + syn.durationNanos() + " ns");
        }
    }

    @Test
    void budgetZeroDropsEverySyn() {
        try (TemplateUnderTest t = TemplateUnderTest.of(SYN_GUARD).constant("SYN_BUDGET", 0L).load()) {
            t.run("syn_guard", syn4("198.18.0.20", Packets.TCP_SYN)).assertVerdict(TC_ACT_SHOT);
            t.run("syn_guard", syn4("198.18.0.20", Packets.TCP_ACK)).assertVerdict(NEXT);
        }
    }
}
