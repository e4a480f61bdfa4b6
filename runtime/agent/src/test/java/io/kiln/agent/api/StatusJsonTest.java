package io.kiln.agent.api;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** {@code kiln status}'s JSON read back as written, the hooks' kind and a pending move of them included. */
class StatusJsonTest {
    @Test
    void hooksAndAPendingMoveSurviveTheRoundTrip() {
        Instant t = Instant.parse("2026-12-04T21:40:00Z");
        EndpointStatus moving = new EndpointStatus(2, EndpointStatus.State.READY, null, "lxc2", "endpoint", 300,
                Map.of("from_endpoint", 41), "abc", "CREATE", t, 12L, 0, null, 1, "tcx",
                "to tc: 2 failed attempt(s), next at 2026-12-04T21:40:04Z: someone else's filter");
        EndpointStatus plain = new EndpointStatus(3, EndpointStatus.State.READY, null, "lxc3", "endpoint", 301,
                Map.of("from_endpoint", 43), "abc", "CREATE", t, 12L, 0, null, 1);
        AgentStatus s = new AgentStatus(t, true, 2, 2, List.of(moving, plain), EndpointStatus.State.READY, null, List.of());
        AgentStatus back = StatusJson.read(StatusJson.write(s));
        assertEquals(moving, back.endpoints().get(0));
        assertEquals(plain, back.endpoints().get(1));
        assertNull(back.endpoints().get(1).hooks());
        assertEquals("tcx", back.endpoints().get(0).hooks());
    }
}
