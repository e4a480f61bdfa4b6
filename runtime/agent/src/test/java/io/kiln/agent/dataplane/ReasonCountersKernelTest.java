package io.kiln.agent.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.agent.api.AgentMetrics;
import io.kiln.bpf.BpfFs;
import io.kiln.lab.Packets;
import io.kiln.testing.TemplateUnderTest;
import io.kiln.testing.TestRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A template that is not the dataplane declares its own reasons and counter map; its programs run in
 * the kernel (BPF_PROG_TEST_RUN), and the agent's metrics read the pinned counter map and show each
 * drop under the reason's declared name with the template's name as a label.
 */
class ReasonCountersKernelTest {
    private static final String DESCRIPTOR = """
            name: guard
            programs:
              guard_in: { hook: tc-ingress }
            constants:
              BUDGET: { type: u32, description: Packets let through before the guard drops }
            maps:
              verdicts: { scope: endpoint }
            reasons:
              PASSED:      { code: 0, verdict: pass, description: Under the budget }
              OVER_BUDGET: { code: 40, description: Over the budget }
              NOT_IPV4:    { code: 63, description: Not an IPv4 frame }
            reasonCounters: verdicts
            """;
    private static final String SOURCE = """
            #include <linux/bpf.h>
            #include <linux/types.h>
            #include <bpf/bpf_helpers.h>

            <@kiln.declareReasons/>
            <@kiln.declareConstants/>

            struct counter { __u64 packets; __u64 bytes; };

            struct {
            \t__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
            \t__uint(max_entries, 2 * KILN_REASON_SLOTS);
            \t__type(key, __u32);
            \t__type(value, struct counter);
            } verdicts SEC(".maps");

            __u64 seen;

            SEC("tc")
            int guard_in(struct __sk_buff *skb)
            {
            \t__u32 reason = skb->protocol != __builtin_bswap16(0x0800) ? REASON_NOT_IPV4
            \t\t: ++seen > BUDGET ? REASON_OVER_BUDGET : REASON_PASSED;
            \t__u32 slot = 1 * KILN_REASON_SLOTS + reason; /* egress */
            \tstruct counter *c = bpf_map_lookup_elem(&verdicts, &slot);

            \tif (c) {
            \t\tc->packets++;
            \t\tc->bytes += skb->len;
            \t}
            \treturn reason == REASON_PASSED ? 0 : 2;
            }

            char LICENSE[] SEC("license") = "GPL";
            """;

    @TempDir
    Path tmp;

    @Test
    void aDropIsCountedUnderItsDeclaredReasonAndExportedWithTheTemplatesName() throws Exception {
        Path folder = Files.createDirectories(tmp.resolve("guard"));
        Files.writeString(folder.resolve("guard.template.yaml"), DESCRIPTOR);
        Files.writeString(folder.resolve("guard.bpf.c.ftl"), SOURCE);
        byte[] udp = Packets.ethernet("02:00:00:00:00:01", "02:00:00:00:00:02").ipv4("198.18.0.1", "198.18.0.2")
                .udp(1, 2).build();
        byte[] lldp = Packets.ethernet("02:00:00:00:00:01", "02:00:00:00:00:02").raw(0x88cc, new byte[46]).build();
        try (TemplateUnderTest t = TemplateUnderTest.of(folder).constant("BUDGET", 2).load()) {
            for (int i = 0; i < 5; i++) {
                t.run("guard_in", udp).assertVerdict(i < 2 ? TestRun.TC_ACT_OK : TestRun.TC_ACT_SHOT);
            }
            t.run("guard_in", lldp).assertVerdict(TestRun.TC_ACT_SHOT);

            Path dir = Files.createDirectories(BpfFs.DEFAULT.resolve("kiln-test-reasons-" + ProcessHandle.current().pid()));
            Path pin = dir.resolve("verdicts");
            t.map("verdicts").bpf().pin(pin);
            try {
                ReasonCounters counters = ReasonCounters.of(7, t.template(), pin).orElseThrow();
                List<AgentMetrics.Drop> drops = counters.read();
                assertEquals(List.of(
                        new AgentMetrics.Drop(7, "guard", "egress", "OVER_BUDGET", 3, 3L * udp.length),
                        new AgentMetrics.Drop(7, "guard", "egress", "NOT_IPV4", 1, lldp.length)), drops);

                String text = AgentMetrics.drops(() -> drops).text();
                assertTrue(text.contains("kiln_endpoint_drops_total{direction=\"egress\",endpoint=\"7\","
                        + "reason=\"OVER_BUDGET\",template=\"guard\"} 3.0\n"), text);
                assertTrue(text.contains("kiln_endpoint_dropped_bytes_total{direction=\"egress\",endpoint=\"7\","
                        + "reason=\"NOT_IPV4\",template=\"guard\"} " + lldp.length + ".0\n"), text);
                assertTrue(!text.contains("PASSED"), "a pass reason is no drop: " + text);
            } finally {
                Files.deleteIfExists(pin);
                Files.deleteIfExists(dir);
            }
        }
    }
}
