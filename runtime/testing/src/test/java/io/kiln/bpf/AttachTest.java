package io.kiln.bpf;

import io.kiln.testing.BpfLeakCheck;
import io.kiln.lab.Command;
import io.kiln.testing.KernelRequirements;
import io.kiln.lab.NetworkNamespace;
import io.kiln.lab.VethPair;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * tcx, legacy tc and XDP attachment on a veth in namespaces the test creates. Attach calls run on
 * a thread inside the namespace, since ifindexes and tc's netlink are per namespace.
 */
class AttachTest {
    private BpfLeakCheck leaks;
    private PinDir pins;
    private NetworkNamespace host;
    private NetworkNamespace peer;
    private VethPair veth;

    @BeforeEach
    void setUp() {
        KernelRequirements.assumeKernel();
        KernelRequirements.assumeTools("bpftool", "ip", "tc");
        leaks = BpfLeakCheck.begin("kt_");
        pins = new PinDir();
        host = NetworkNamespace.create("test-host");
        peer = NetworkNamespace.create("test-peer");
        veth = VethPair.create(host, "kt-ep0", peer, "kt-ep1");
        veth.a().addAddress("198.18.0.1/24");
        veth.b().addAddress("198.18.0.2/24");
    }

    @AfterEach
    void tearDown() {
        try {
            if (pins != null) {
                pins.close();
            }
        } finally {
            for (NetworkNamespace ns : new NetworkNamespace[]{host, peer}) {
                if (ns != null) {
                    ns.close();
                    assertFalse(ns.exists(), ns + " is gone");
                }
            }
            if (leaks != null) {
                leaks.assertNoLeaks();
            }
        }
    }

    @Test
    void tcxLinkPinOpenUpdateDetach() throws Exception {
        assertTrue(Features.tcxLinks(), "kernel " + System.getProperty("os.version") + " has tcx");
        int ifindex = veth.a().ifindex();
        Path linkPin = pins.resolve("kt_link");
        try (BpfObject object = BpfObject.open(TestObjects.bytes("kt_attach"), "kt_attach")) {
            object.load();
            BpfProgram a = object.program("kt_pass_a");
            BpfProgram b = object.program("kt_pass_b");
            assertNotEquals(a.id(), b.id());

            host.run(() -> {
                try (BpfLink link = a.attachTcx(ifindex, Direction.INGRESS)) {
                    LinkInfo info = link.info();
                    assertEquals("tcx", info.typeName());
                    assertEquals(ifindex, info.ifindex());
                    assertEquals(Direction.INGRESS, info.direction().orElseThrow());
                    assertEquals(a.id(), info.programId());
                    link.pin(linkPin);
                }
                // the pin alone keeps it attached; a new handle adopts it
                try (BpfLink adopted = BpfLink.openPinned(linkPin)) {
                    assertEquals(a.id(), adopted.info().programId());
                    adopted.update(b, a);
                    assertEquals(b.id(), adopted.info().programId(), "atomic swap to kt_pass_b");

                    ProgramMismatchException e = assertThrows(ProgramMismatchException.class,
                            () -> adopted.update(a, a));
                    assertEquals(a.id(), e.expectedProgramId());
                    assertEquals(b.id(), e.actualProgramId());
                    assertTrue(e.getMessage().contains("the link runs program " + b.id() + ", not the expected "
                            + "object kt_attach: program kt_pass_a (id " + a.id() + ")"), e.getMessage());
                    assertEquals(b.id(), adopted.info().programId(), "a refused update changes nothing");

                    adopted.update(a);
                    assertEquals(a.id(), adopted.info().programId(), "unconditional update");

                    try (BpfLink second = BpfLink.openPinned(linkPin)) {
                        adopted.detach();
                        assertFalse(Files.exists(linkPin), "detach removed the pin");
                        assertEquals(0, second.info().ifindex(), "the link is defunct for every holder");
                    }
                }
                return;
            });
        }
    }

    @Test
    void tcxEgressLinkClosesWithItsLastFd() throws Exception {
        int ifindex = veth.a().ifindex();
        try (BpfObject object = BpfObject.open(TestObjects.bytes("kt_attach"), "kt_attach")) {
            object.load();
            BpfProgram a = object.program("kt_pass_a");
            int linkId = host.call(() -> {
                try (BpfLink link = a.attachTcx(ifindex, Direction.EGRESS)) {
                    assertEquals(Direction.EGRESS, link.info().direction().orElseThrow());
                    return link.info().id();
                }
            });
            BpfException gone = assertThrows(BpfException.class, () -> BpfLink.fromId(linkId).close());
            assertEquals("link " + linkId + ": open by id: No such file or directory (ENOENT)", gone.getMessage());
        }
    }

    @Test
    void legacyTcAttachReplaceDetach() throws Exception {
        int ifindex = veth.a().ifindex();
        try (BpfObject object = BpfObject.open(TestObjects.bytes("kt_attach"), "kt_attach")) {
            object.load();
            BpfProgram a = object.program("kt_pass_a");
            BpfProgram b = object.program("kt_pass_b");
            host.run(() -> {
                TcFilter filter = a.attachTc(ifindex, Direction.INGRESS, 1, 1);
                assertEquals(a.id(), filter.programId());
                assertTrue(tcFilters("ingress").contains("id " + a.id()), tcFilters("ingress"));
                assertTrue(tcFilters("ingress").contains("direct-action"), tcFilters("ingress"));

                BpfException taken = assertThrows(BpfException.class, () -> b.attachTc(ifindex, Direction.INGRESS, 1, 1));
                assertEquals(17, taken.errno());

                filter.replace(b);
                assertEquals(b.id(), filter.programId());
                assertTrue(tcFilters("ingress").contains("id " + b.id()), tcFilters("ingress"));
                assertEquals(1, count(tcFilters("ingress"), "direct-action"), "replaced in place, not added");

                // someone else swaps it behind our handle's back
                TcFilter other = TcFilter.find(ifindex, Direction.INGRESS, 1, 1).orElseThrow();
                other.replace(a);
                ProgramMismatchException e = assertThrows(ProgramMismatchException.class, () -> filter.replace(b));
                assertEquals(b.id(), e.expectedProgramId());
                assertEquals(a.id(), e.actualProgramId());
                assertEquals(a.id(), filter.programId(), "nothing replaced");

                other.detach();
                assertEquals(0, filter.programId());
                assertTrue(TcFilter.find(ifindex, Direction.INGRESS, 1, 1).isEmpty());
                assertFalse(tcFilters("ingress").contains("direct-action"), tcFilters("ingress"));
            });
        }
    }

    @Test
    void xdpLinkAttachDetach() throws Exception {
        assertTrue(Features.xdpLinks());
        int ifindex = veth.a().ifindex();
        try (BpfObject object = BpfObject.open(TestObjects.bytes("kt_attach"), "kt_attach")) {
            object.load();
            BpfProgram xdp = object.program("kt_xdp_pass");
            assertEquals("xdp", xdp.type());
            host.run(() -> {
                BpfLink link = xdp.attachXdp(ifindex);
                LinkInfo info = link.info();
                assertEquals("xdp", info.typeName());
                assertEquals(ifindex, info.ifindex());
                assertEquals(xdp.id(), info.programId());
                assertTrue(host.ip("link", "show", "dev", "kt-ep0").stdout().contains("prog/xdp id " + xdp.id()),
                        host.ip("link", "show", "dev", "kt-ep0").stdout());
                link.detach();
                assertFalse(host.ip("link", "show", "dev", "kt-ep0").stdout().contains("prog/xdp"));
            });
        }
    }

    @Test
    void attachToMissingInterfaceNamesProgramAndPlace() {
        try (BpfObject object = BpfObject.open(TestObjects.bytes("kt_attach"), "kt_attach")) {
            object.load();
            BpfException e = assertThrows(BpfException.class,
                    () -> object.program("kt_pass_a").attachTcx(999_999, Direction.INGRESS));
            assertEquals("object kt_attach: program kt_pass_a: attach tcx ingress on ifindex 999999 (no interface has "
                    + "ifindex 999999 in this thread's network namespace): No such device (ENODEV)", e.getMessage());
            BpfException xdp = assertThrows(BpfException.class,
                    () -> object.program("kt_xdp_pass").attachXdp(999_999));
            assertEquals("object kt_attach: program kt_xdp_pass: attach xdp on ifindex 999999 (no interface has "
                    + "ifindex 999999 in this thread's network namespace): Invalid argument (EINVAL)", xdp.getMessage());
        }
    }

    private String tcFilters(String direction) {
        return Command.run(List.of("tc", "-n", host.name(), "filter", "show", "dev", "kt-ep0", direction))
                .orThrow().stdout();
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
