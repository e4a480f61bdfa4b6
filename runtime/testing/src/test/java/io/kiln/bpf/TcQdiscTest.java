package io.kiln.bpf;

import io.kiln.testing.BpfLeakCheck;
import io.kiln.lab.Command;
import io.kiln.testing.KernelRequirements;
import io.kiln.lab.NetworkNamespace;
import io.kiln.lab.VethPair;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The clsact qdisc's own life (create, tell whether it was there, destroy) and the list of filters on it. */
class TcQdiscTest {
    @Test
    void createListDestroy() throws Exception {
        KernelRequirements.assumeKernel();
        KernelRequirements.assumeTools("bpftool", "ip", "tc");
        BpfLeakCheck leaks = BpfLeakCheck.begin("kt_");
        NetworkNamespace a = NetworkNamespace.create("test-qdisc");
        NetworkNamespace b = NetworkNamespace.create("test-qdisc");
        try (BpfObject object = BpfObject.open(TestObjects.bytes("kt_attach"), "kt_attach")) {
            VethPair.create(a, "kt-q0", b, "kt-q1");
            int ifindex = a.ifindex("kt-q0");
            object.load();
            a.run(() -> {
                assertEquals(List.of(), TcFilter.list(ifindex, Direction.INGRESS), "no qdisc: nothing listed");
                assertTrue(TcFilter.createClsact(ifindex), "created");
                assertFalse(TcFilter.createClsact(ifindex), "already there");
                TcFilter one = object.program("kt_pass_a").attachTc(ifindex, Direction.INGRESS, 5, 3);
                TcFilter two = object.program("kt_pass_b").attachTc(ifindex, Direction.EGRESS, 6, 2);
                assertEquals(List.of(new TcFilter.Listed(Direction.INGRESS, 5, 3, "bpf")),
                        TcFilter.list(ifindex, Direction.INGRESS));
                assertEquals(List.of(new TcFilter.Listed(Direction.EGRESS, 6, 2, "bpf")),
                        TcFilter.list(ifindex, Direction.EGRESS));
                one.detach();
                assertEquals(List.of(), TcFilter.list(ifindex, Direction.INGRESS));
                TcFilter.destroyClsact(ifindex);
                assertEquals(0, two.programId(), "the qdisc took its filters with it");
                TcFilter.destroyClsact(ifindex); // idempotent
            });
            String qdiscs = Command.run(List.of("tc", "-n", a.name(), "qdisc", "show", "dev", "kt-q0")).orThrow().stdout();
            assertFalse(qdiscs.contains("clsact"), qdiscs);
        } finally {
            a.close();
            b.close();
        }
        leaks.assertNoLeaks();
    }
}
