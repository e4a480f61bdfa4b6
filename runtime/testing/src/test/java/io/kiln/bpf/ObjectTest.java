package io.kiln.bpf;

import io.kiln.testing.BpfLeakCheck;
import io.kiln.testing.KernelRequirements;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Opening objects, what they list, test runs with a context, and the errors around them. */
class ObjectTest {
    /** offsetof(struct __sk_buff, mark); sizeof is 192. */
    private static final int SKB_MARK = 8;
    private static final int SKB_SIZE = 192;

    @Test
    void listsProgramsAndMapsWithTypes() {
        KernelRequirements.assumeKernel();
        try (BpfObject object = BpfObject.open(TestObjects.file("kt_attach"))) {
            assertEquals("kt_attach", object.name(), "named after the file, as libbpf names it");
            assertEquals(List.of("kt_pass_a", "kt_pass_b", "kt_mark", "kt_xdp_pass"),
                    object.programs().stream().map(BpfProgram::name).toList(), "by section, then offset");
            assertEquals("sched_cls", object.program("kt_pass_a").type());
            assertEquals("tc", object.program("kt_pass_a").sectionName());
            assertEquals("xdp", object.program("kt_xdp_pass").type());
            BpfException notLoaded = assertThrows(BpfException.class, () -> object.program("kt_pass_a").fd());
            assertEquals("object kt_attach: program kt_pass_a: not loaded (load the object first)",
                    notLoaded.getMessage());
            BpfException none = assertThrows(BpfException.class, () -> object.program("kt_nope"));
            assertEquals("object kt_attach: no program kt_nope (has: kt_pass_a, kt_pass_b, kt_mark, kt_xdp_pass)",
                    none.getMessage());
        }
    }

    @Test
    void testRunCarriesTheSkbContextInAndOut() {
        KernelRequirements.assumeKernel();
        BpfLeakCheck leaks = BpfLeakCheck.begin("kt_");
        try (BpfObject object = BpfObject.open(TestObjects.bytes("kt_attach"), "kt_attach")) {
            object.load();
            ByteBuffer skb = ByteBuffer.allocate(SKB_SIZE).order(ByteOrder.nativeOrder()).putInt(SKB_MARK, 41);
            TestRunResult r = object.program("kt_mark").testRun(TestRunOptions.builder()
                    .data(Frames.udp(new byte[4])).context(skb.array()).build());
            assertEquals(0, r.retval());
            assertEquals(SKB_SIZE, r.context().length);
            assertEquals(42, ByteBuffer.wrap(r.context()).order(ByteOrder.nativeOrder()).getInt(SKB_MARK));
        }
        leaks.assertNoLeaks();
    }

    @Test
    void pinnedProgramIsOpenedByPathAndId() {
        KernelRequirements.assumeKernel();
        KernelRequirements.assumeTools("bpftool");
        BpfLeakCheck leaks = BpfLeakCheck.begin("kt_");
        try (PinDir pins = new PinDir(); BpfObject object = BpfObject.open(TestObjects.bytes("kt_attach"), "kt_attach")) {
            object.load();
            BpfProgram a = object.program("kt_pass_a");
            a.pin(pins.resolve("kt_pass_a"));
            try (BpfProgram pinned = BpfProgram.openPinned(pins.resolve("kt_pass_a"));
                 BpfProgram byId = BpfProgram.fromId(a.id())) {
                assertEquals("kt_pass_a", pinned.name());
                assertEquals("sched_cls", pinned.type());
                assertEquals(a.id(), pinned.id());
                assertEquals(a.tag(), pinned.tag());
                assertEquals(a.id(), byId.id());
                assertEquals("", byId.sectionName());
            }
        }
        leaks.assertNoLeaks();
    }

    @Test
    void garbageIsRefusedWithLibbpfsReason() {
        KernelRequirements.assumeKernel();
        BpfException e = assertThrows(BpfException.class,
                () -> BpfObject.open(new byte[]{0x7f, 'E', 'L', 'F', 1, 2, 3}, "kt_junk"));
        assertTrue(e.getMessage().startsWith("object kt_junk: open 7 bytes: "), e.getMessage());
        assertTrue(e.getMessage().contains("\n  libbpf: "), "libbpf's own explanation follows: " + e.getMessage());
        assertTrue(e.errno() > 0);
    }

    @Test
    void namesAreChecked() {
        KernelRequirements.assumeKernel();
        BpfException e = assertThrows(BpfException.class, () -> BpfObject.open(new byte[]{1}, "has space"));
        assertEquals("object name 'has space': use 1 to 64 letters, digits, '_', '.' or '-'", e.getMessage());
        assertTrue(e.isUserError());
    }

    @Test
    void closeIsIdempotentAndEndsUse() {
        KernelRequirements.assumeKernel();
        BpfObject object = BpfObject.open(TestObjects.bytes("kt_gate"), "kt_gate");
        BpfMap rodata = object.maps().get(0);
        assertEquals("kt_gate.rodata", rodata.name());
        assertTrue(rodata.isInternal());
        BpfProgram gate = object.program("kt_gate");
        object.close();
        object.close();
        assertThrows(IllegalStateException.class, object::load);
        IllegalStateException e = assertThrows(IllegalStateException.class, rodata::definition);
        assertEquals("object kt_gate: closed", e.getMessage());
        assertThrows(IllegalStateException.class, gate::fd, "never touches libbpf's freed memory");
    }
}
