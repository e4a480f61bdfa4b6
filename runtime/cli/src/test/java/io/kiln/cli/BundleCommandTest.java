package io.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.agent.dataplane.BundleObjectSource;
import io.kiln.bundle.Bundle;
import io.kiln.bundle.BundledTemplate;
import io.kiln.template.Parameters;
import io.kiln.template.TemplateDescriptor;
import io.kiln.template.Templates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln bundle}: a bundle folder the agent's bundle source serves, made with the real clang. */
class BundleCommandTest {
    private static final Path HELLO = Path.of(System.getProperty("kiln.home", "..")).resolve("examples/templates/hello")
            .toAbsolutePath().normalize();

    @Test
    void theVariantsAskedForAreBundledAndTheAgentsBundleSourceServesThem(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("bundle");
        CliTest.Run run = CliTest.kiln("bundle", HELLO.toString(), "--variant", "default", "--variant", "dropEnabled=false",
                "-o", out.toString(), "--cache-dir", dir.resolve("cache").toString());
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.lastLine().contains("2 variant(s)"), run.out());
        Bundle bundle = Bundle.open(out);
        BundledTemplate t = bundle.index().template("hello").orElseThrow();
        assertEquals(2, t.variants().size(), t.toString());
        t.variants().forEach(v -> assertTrue(bundle.object(v).length > 0));

        TemplateDescriptor hello = Templates.load(HELLO);
        BundleObjectSource source = BundleObjectSource.of(List.of(bundle));
        for (Map<String, String> p : List.of(Map.<String, String>of(), Map.of("dropEnabled", "false"))) {
            assertTrue(source.find(hello, Parameters.resolve(hello, p)).isPresent(), "served: " + p);
        }
    }

    @Test
    void aBadVariantOrAFullFolderIsOneLineNamingTheOptionAndWritesNothing(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("bundle");
        CliTest.Run bad = CliTest.kiln("bundle", HELLO.toString(), "--variant", "dropEnabled=maybe", "-o", out.toString(),
                "--cache-dir", dir.resolve("cache").toString());
        assertEquals(2, bad.exit(), bad.err());
        assertTrue(bad.err().contains("--variant dropEnabled=maybe") && bad.err().contains("dropEnabled"), bad.err());
        assertFalse(bad.err().contains("\tat "), bad.err());
        assertFalse(Files.exists(out), "nothing written");

        Files.createDirectories(out);
        Files.writeString(out.resolve("keep.txt"), "mine");
        CliTest.Run full = CliTest.kiln("bundle", HELLO.toString(), "-o", out.toString(), "--cache-dir",
                dir.resolve("cache").toString());
        assertEquals(2, full.exit(), full.err());
        assertTrue(full.err().contains("--out " + out) && full.err().contains("empty"), full.err());
        assertEquals(List.of(out.resolve("keep.txt")), Files.list(out).toList(), "the folder is left as it was");
    }
}
