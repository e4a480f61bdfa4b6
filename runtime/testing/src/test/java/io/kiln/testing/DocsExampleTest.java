package io.kiln.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.lab.Packets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The worked example of docs/testing.md, run against examples/templates/hello so the document cannot rot. */
class DocsExampleTest {
    private static final Path HOME = Path.of(System.getProperty("kiln.home", "../..")).toAbsolutePath().normalize();
    private static final Path TEMPLATES = HOME.resolve("examples/templates");

    // docs example begins
    @Test
    void aBlockedSourceIsDroppedAndCounted() {
        try (TemplateUnderTest hello = TemplateUnderTest.of(TEMPLATES.resolve("hello"))
                .parameter("dropEnabled", true)                        // a build parameter picks the variant
                .constant("ENDPOINT_ID", 12)                           // constants specialize it at load
                .constant("BLOCKED_IPV4", "198.18.0.9")
                .load()) {                                             // compile (cached), load: the verifier runs
            byte[] blocked = Packets.ethernet("02:00:00:00:00:09", "02:00:00:00:00:01")
                    .ipv4("198.18.0.9", "198.18.0.12").tcp(40000, 80, Packets.TCP_SYN).build();
            byte[] other = Packets.ethernet("02:00:00:00:00:0a", "02:00:00:00:00:01")
                    .ipv4("198.18.0.10", "198.18.0.12").udp(5353, 53).build();
            byte[] v6 = Packets.ethernet("02:00:00:00:00:0a", "02:00:00:00:00:01")
                    .ipv6("2001:2::a", "2001:2::c").udp(5353, 53).build();

            hello.run("hello_ingress", blocked).assertVerdict(TestRun.TC_ACT_SHOT);
            hello.run("hello_ingress", v6).assertVerdict(TestRun.TC_ACT_OK);
            TestRun many = hello.run("hello_ingress", other, 0, 1000);  // skb->mark 0, 1000 runs
            many.assertVerdict(TestRun.TC_ACT_OK);
            assertTrue(many.durationNanos() > 0);                       // the kernel's mean time per run

            TestMap counters = hello.map("counters");                  // per-CPU: summed over every CPU
            assertEquals(1002, counters.sumU64(StructBytes.of(4).u32(0, 0).bytes(), 0));
            assertEquals(1, counters.sumU64(StructBytes.of(4).u32(0, 1).bytes(), 0));
        }                                                              // programs and maps freed here
    }
    // docs example ends

    @Test
    void docsShowThisExampleVerbatim() throws Exception {
        String source = Files.readString(HOME.resolve("runtime/testing/src/test/java/io/kiln/testing/DocsExampleTest.java"));
        String example = source.split("// docs example begins\n")[1].split("    // docs example ends")[0];
        String unindented = example.lines().map(l -> l.startsWith("    ") ? l.substring(4) : l)
                .collect(Collectors.joining("\n")).strip();
        String docs = Files.readString(HOME.resolve("docs/testing.md"));
        assertTrue(docs.contains(unindented), "docs/testing.md's worked example must be DocsExampleTest's, as it is");
    }
}
