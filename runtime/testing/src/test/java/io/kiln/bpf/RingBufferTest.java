package io.kiln.bpf;

import io.kiln.testing.BpfLeakCheck;
import io.kiln.testing.KernelRequirements;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** libbpf's ring buffer consumer through the binding, fed by a real program run with BPF_PROG_TEST_RUN. */
class RingBufferTest {
    private static final long MARKER = 0x6b696c6e72696e67L;
    private static final int RECORD = 16;             // struct kt_record
    private static final int SLOT = 8 + RECORD;       // the kernel's 8-byte header per record, rounded to 8

    private BpfLeakCheck leaks;
    private BpfObject object;
    private byte[] frame;

    @BeforeEach
    void load() {
        KernelRequirements.assumeKernel();
        leaks = BpfLeakCheck.begin("kt_");
        object = BpfObject.open(TestObjects.bytes("kt_ringbuf"), "kt_ringbuf");
        object.load();
        frame = Frames.udp(new byte[10]);
    }

    @AfterEach
    void cleanUp() {
        if (object != null) {
            object.close();
        }
        if (leaks != null) {
            leaks.assertNoLeaks();
        }
    }

    private void run(int times) {
        object.program("kt_ringbuf").testRun(TestRunOptions.builder().data(frame).repeat(times).build());
    }

    private long state(int key) {
        byte[] v = object.map("kt_rb_state").lookup(ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(key).array())
                .orElseThrow();
        return ByteBuffer.wrap(v).order(ByteOrder.nativeOrder()).getLong();
    }

    private static int[] decode(ByteBuffer r) {
        assertEquals(RECORD, r.remaining(), "record size");
        assertEquals(MARKER, r.getLong(8));
        return new int[]{r.getInt(0), r.getInt(4)};
    }

    @Test
    void pollAndConsumeHandEachRecordOnceInOrder() {
        List<int[]> got = new ArrayList<>();
        try (RingBuffer ring = RingBuffer.open(object.map("kt_ring"), r -> got.add(decode(r)))) {
            assertEquals(0, ring.poll(Duration.ZERO), "nothing yet");
            run(10);
            assertEquals(10, ring.poll(Duration.ofSeconds(1)));
            run(3);
            assertEquals(3, ring.consume());
            assertEquals(0, ring.consume(), "each record only once");
            assertTrue(ring.epollFd() >= 0);
        }
        assertEquals(13, got.size());
        for (int i = 0; i < got.size(); i++) {
            assertEquals(i, got.get(i)[0], "sequence");
            assertEquals(frame.length, got.get(i)[1], "skb->len");
        }
    }

    @Test
    void readerThreadIsWokenByTheKernelAndStopsAtOnce() throws Exception {
        List<Integer> seqs = new CopyOnWriteArrayList<>();
        RingBufferReader reader = RingBufferReader.start(object.map("kt_ring"), "kt-ring-reader",
                r -> seqs.add(decode(r)[0]));
        try {
            Thread.sleep(50); // the thread is now asleep in epoll_wait
            run(100);
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (seqs.size() < 100 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(100, seqs.size(), "every record arrived without a poll from the test");
            for (int i = 0; i < 100; i++) {
                assertEquals(i, seqs.get(i));
            }
            assertEquals(100, reader.records());
            assertTrue(reader.isRunning());
        } finally {
            long t0 = System.nanoTime();
            reader.close();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 500, "close woke the thread out of its 1 s epoll_wait: took " + ms + " ms");
        }
        assertFalse(reader.isRunning());
        assertEquals(null, reader.failure());
        reader.close(); // idempotent
    }

    @Test
    void aFullRingCountsLossesAndTheReaderKeepsUpAfterwards() throws Exception {
        int fits = 4096 / SLOT;
        List<Integer> seqs = new CopyOnWriteArrayList<>();
        try (RingBuffer ring = RingBuffer.open(object.map("kt_ring"), r -> seqs.add(decode(r)[0]))) {
            run(1000); // no one consumes during the burst
            long lost = state(1);
            assertEquals(1000 - fits, lost, "records beyond the ring's " + fits + " slots are lost, and counted");
            assertEquals(fits, ring.consume());
            run(fits);
            assertEquals(fits, ring.consume(), "the ring has room again once consumed");
            assertEquals(1000 - fits, state(1), "no new losses");
        }
        assertEquals(2 * fits, seqs.size());
    }

    @Test
    void aHandlerThatThrowsIsCountedAndTheNextRecordStillComes() {
        List<Integer> seqs = new ArrayList<>();
        try (RingBuffer ring = RingBuffer.open(object.map("kt_ring"), r -> {
            int seq = decode(r)[0];
            if (seq == 1) {
                throw new IllegalStateException("record 1 is bad");
            }
            seqs.add(seq);
        })) {
            run(3);
            assertEquals(3, ring.consume());
            assertEquals(1, ring.handlerErrors());
            assertEquals("java.lang.IllegalStateException: record 1 is bad", ring.lastHandlerError());
        }
        assertEquals(List.of(0, 2), seqs);
    }

    @Test
    void aMapOfAnotherTypeIsRefused() {
        BpfException e = assertThrows(BpfException.class, () -> RingBuffer.open(object.map("kt_rb_state"), r -> { }));
        assertEquals("object kt_ringbuf: map kt_rb_state: ring buffer: open: the map is of type array, not ringbuf",
                e.getMessage());
    }

    @Test
    void aClosedRingSaysSo() {
        RingBuffer ring = RingBuffer.open(object.map("kt_ring"), r -> { });
        ring.close();
        ring.close();
        BpfException e = assertThrows(BpfException.class, ring::consume);
        assertEquals("object kt_ringbuf: map kt_ring: ring buffer: already closed", e.getMessage());
    }
}
