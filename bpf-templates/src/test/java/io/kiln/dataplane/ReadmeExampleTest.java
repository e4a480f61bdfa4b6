package io.kiln.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kiln.templates.EndpointBpf.DropReason;
import io.kiln.lab.PacketView;
import io.kiln.lab.Packets;
import io.kiln.testing.TemplateUnderTest;
import io.kiln.testing.TestRun;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The example of README.md's "Testing a template", compiled and run so the README cannot rot. */
class ReadmeExampleTest {
    // README example begins
    @Test
    void allowedSynGoesToTheStack() {
        try (TemplateUnderTest ep = TemplateUnderTest.of(Path.of("src/main/bpf/endpoint"))
                .parameter("policyMode", "enforce")                  // build parameters pick the variant
                .constant("ENDPOINT_IPV4", "198.18.0.12")            // constants specialize it at load
                .constant("ENDPOINT_MAC", "02:00:00:00:00:0c")
                .load()) {                                           // compile (cached), load, verify
            ep.map("ipcache").put(EndpointMaps.lpmKey("198.18.0.20/32"), EndpointMaps.identityValue(4000));
            ep.map("policy").put(EndpointMaps.policyKey(4000, 80, Packets.IPPROTO_TCP, EndpointMaps.DIR_EGRESS),
                    EndpointMaps.policyValue(EndpointMaps.ALLOW));

            byte[] syn = Packets.ethernet("02:00:00:00:00:0c", "02:00:00:00:00:01")
                    .ipv4("198.18.0.12", "198.18.0.20").tcp(40000, 80, Packets.TCP_SYN).build();
            PacketView out = ep.run("from_endpoint", syn)            // BPF_PROG_TEST_RUN
                    .assertVerdict(TestRun.TC_ACT_OK).view().assertChecksumsValid();
            assertEquals("198.18.0.20", out.dst());
            assertEquals(1, ep.map("metrics").sumU64(                // per-CPU counters, summed
                    EndpointMaps.metricsKey(EndpointMaps.DIR_EGRESS, DropReason.FORWARDED), EndpointMaps.METRICS_PACKETS));
        }                                                            // programs and maps freed here
    }
    // README example ends

    @Test
    void readmeShowsThisExampleVerbatim() throws Exception {
        String source = java.nio.file.Files.readString(Path.of("src/test/java/io/kiln/dataplane/ReadmeExampleTest.java"));
        String example = source.split("// README example begins\n")[1].split("    // README example ends")[0];
        String unindented = example.lines().map(l -> l.startsWith("    ") ? l.substring(4) : l)
                .collect(java.util.stream.Collectors.joining("\n")).strip();
        String readme = java.nio.file.Files.readString(Path.of("README.md"));
        org.junit.jupiter.api.Assertions.assertTrue(readme.contains(unindented),
                "README.md's 'Testing a template' must show ReadmeExampleTest's example as it is");
    }
}
