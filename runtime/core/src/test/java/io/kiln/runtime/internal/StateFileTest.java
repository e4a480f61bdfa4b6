package io.kiln.runtime.internal;

import io.kiln.runtime.Attachment;
import io.kiln.runtime.EndpointException;
import io.kiln.host.Netns;
import io.kiln.template.Hook;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StateFileTest {
    private static EndpointState sample(int id, String variantKey) {
        return new EndpointState(id, "lxc-web-1", Netns.named("kiln-test-x"), 7, "endpoint", variantKey,
                "ab".repeat(32), "cd".repeat(32), true,
                List.of(new Attachment("from_endpoint", Hook.TC_INGRESS, Attachment.Kind.TCX_LINK, 101,
                                Path.of("/sys/fs/bpf/kiln/endpoints/" + id + "/links/from_endpoint"), 0, 0),
                        new Attachment("to_endpoint", Hook.TC_EGRESS, Attachment.Kind.TC_FILTER, 102, null, 1202, 1)),
                Map.of("policy", Path.of("/sys/fs/bpf/kiln/endpoints/" + id + "/policy")),
                Instant.parse("2026-01-02T03:04:05.678Z"));
    }

    @Test
    void roundTripsAndListsEndpoints(@TempDir Path dir) throws Exception {
        StateFile states = new StateFile(dir.resolve("endpoints"), io.kiln.runtime.PinLayout.defaults());
        assertEquals(List.of(), states.endpointIds(), "no folder yet: no endpoints");
        EndpointState a = sample(12, "12".repeat(32));
        EndpointState b = sample(3, null);
        states.write(a);
        states.write(b);
        assertEquals(a, states.read(12).orElseThrow());
        assertEquals(b, states.read(3).orElseThrow());
        assertEquals(List.of(3, 12), states.endpointIds());
        assertTrue(Files.readString(states.path(12)).contains("\"kind\" : \"tcx\""));
        assertEquals(Netns.host(), Netns.parse("host"));

        states.write(sample(12, "ff".repeat(32)));
        assertEquals("ff".repeat(32), states.read(12).orElseThrow().variantKey(), "replaced whole");
        try (Stream<Path> files = Files.list(states.dir())) {
            assertEquals(List.of("12.json", "3.json"), files.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temp files left");
        }
        states.delete(12);
        assertFalse(states.exists(12));
        assertTrue(states.read(12).isEmpty());
        states.delete(12); // idempotent
    }

    @Test
    @org.junit.jupiter.api.Timeout(value = 10, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aFifoOrADeviceIsNeverRead(@TempDir Path dir) throws Exception {
        StateFile states = new StateFile(dir, io.kiln.runtime.PinLayout.defaults());
        assertEquals(0, new ProcessBuilder("mkfifo", states.path(5).toString()).start().waitFor());
        assertEquals("endpoint 5: state file " + states.path(5) + " is not a Kiln state file (not a regular file);"
                + " remove it and the endpoint's pins to start over",
                assertThrows(EndpointException.class, () -> states.read(5)).getMessage(), "no writer: a read would block");
        Files.createSymbolicLink(states.path(6), Path.of("/dev/zero"));
        assertTrue(assertThrows(EndpointException.class, () -> states.read(6)).getMessage()
                .contains("(not a regular file)"));
        assertEquals(0, new ProcessBuilder("mkfifo", dir.resolve("7.pending.json").toString()).start().waitFor());
        assertTrue(states.readPending(7).isEmpty());
    }

    @Test
    void foreignFileIsReportedWithWhatToDo(@TempDir Path dir) throws Exception {
        StateFile states = new StateFile(dir, io.kiln.runtime.PinLayout.defaults());
        Files.writeString(states.path(5), "{\"format\": 1, \"endpointId\": 5}");
        EndpointException e = assertThrows(EndpointException.class, () -> states.read(5));
        assertEquals("endpoint 5: state file " + states.path(5) + " is not a Kiln state file (no field 'programs'); "
                + "remove it and the endpoint's pins to start over", e.getMessage());
        Files.writeString(states.path(6), "{\"format\": 2}");
        io.kiln.runtime.NewerStateException newer = assertThrows(io.kiln.runtime.NewerStateException.class,
                () -> states.read(6));
        assertEquals(2, newer.format());
        assertTrue(newer.getMessage().contains("was written by a newer Kiln (state format 2; this Kiln reads formats up to 1):"
                + " its programs are left running as they are"), newer.getMessage());
        Files.writeString(states.path(8), "{\"format\": 0, \"endpointId\": 8}");
        assertTrue(assertThrows(EndpointException.class, () -> states.read(8)).getMessage()
                .contains("(format 0, this Kiln reads format 1)"));
        Files.writeString(states.path(7), "not json");
        assertEquals("endpoint 7: state file " + states.path(7) + " is not a Kiln state file (unrecognized token"
                + " 'not': expected (JSON String, Number, Array, Object or token 'null', 'true' or 'false'));"
                + " remove it and the endpoint's pins to start over",
                assertThrows(EndpointException.class, () -> states.read(7)).getMessage());
    }
}
