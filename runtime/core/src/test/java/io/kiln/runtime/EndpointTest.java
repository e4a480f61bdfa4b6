package io.kiln.runtime;

import io.kiln.host.Netns;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class EndpointTest {
    @Test
    void constantsAreCopiedAndDigestedByValue() {
        byte[] drop = {1, 0, 0, 0};
        Map<String, byte[]> given = new HashMap<>(Map.of("DROP", drop, "SLOT", new byte[4]));
        Endpoint e = Endpoint.of(12, "lxc-web-1", given);
        drop[0] = 9;
        given.clear();
        assertEquals(1, e.constant("DROP")[0], "copied on the way in");
        e.constant("DROP")[0] = 7;
        assertEquals(1, e.constant("DROP")[0], "copied on the way out");
        assertEquals(e, Endpoint.of(12, "lxc-web-1", Map.of("SLOT", new byte[4], "DROP", new byte[]{1, 0, 0, 0})));
        assertEquals(e.constantsDigest(),
                Endpoint.of(12, "lxc-web-1", Map.of("SLOT", new byte[4], "DROP", new byte[]{1, 0, 0, 0})).constantsDigest());
        assertNotEquals(e.constantsDigest(), e.withConstants(Map.of("DROP", new byte[]{1, 0, 0, 0})).constantsDigest());
        // the digest separates names from values: ("AB", 1 byte) is not ("A", "B" + 1 byte)
        assertNotEquals(Endpoint.of(1, "x", Map.of("AB", new byte[]{1})).constantsDigest(),
                Endpoint.of(1, "x", Map.of("A", new byte[]{'B', 1})).constantsDigest());
        assertEquals("endpoint 12 (lxc-web-1)", e.toString());
    }

    @Test
    void idAndInterfaceAreChecked() {
        assertEquals("endpoint id 70000: must be 0..65535",
                assertThrows(IllegalArgumentException.class, () -> Endpoint.of(70000, "x", Map.of())).getMessage());
        assertEquals("endpoint 1: interface name 'a/b': 1 to 15 characters, no '/', ':' or spaces",
                assertThrows(IllegalArgumentException.class, () -> Endpoint.of(1, "a/b", Map.of())).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Endpoint.of(1, "sixteen-chars-xx", Map.of()));
    }

    @Test
    void pinLayoutFollowsTheDesign() {
        PinLayout pins = PinLayout.defaults();
        assertEquals(Path.of("/sys/fs/bpf/kiln/node/ipcache"), pins.nodeMap("ipcache"));
        assertEquals(Path.of("/sys/fs/bpf/kiln/endpoints/12/policy"), pins.endpointMap(12, "policy"));
        assertEquals(Path.of("/sys/fs/bpf/kiln/endpoints/12/links/from_endpoint"), pins.link(12, "from_endpoint"));
    }

    @Test
    void namespacesByNameAndPath() {
        assertEquals("/run/netns/blue", Netns.named("blue").toString());
        assertEquals(Netns.named("blue"), Netns.parse("/run/netns/blue"));
        assertEquals("host", Netns.host().toString());
        assertThrows(IllegalArgumentException.class, () -> Netns.named("../etc"));
        assertEquals(42, Netns.host().call(() -> 42), "the host namespace runs on the calling thread");
    }
}
