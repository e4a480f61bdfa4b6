package io.kiln.template;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzz test of the template descriptor reader ({@code *.template.yaml}, on top of the located YAML
 * reader). Templates are untrusted input to a root agent. The contract: any bytes either load as a
 * descriptor or are refused with a {@link DescriptorException} naming the descriptor file and a
 * reason; any other exception or error, or an input slower than the timeout, is a finding.
 *
 * <p>The bytes are written to {@code descriptor.yaml} in a template folder that also holds a source
 * for each name the seeds use and two include folders ({@code include}, {@code ../lib}), so valid
 * descriptors get through to the end. Seeds: the repository's descriptors, under
 * {@code src/test/resources/io/kiln/template/DescriptorFuzzTestInputs/descriptor/}.
 */
class DescriptorFuzzTest {
    private static final List<String> SOURCES = List.of("endpoint", "mapping", "flows", "xdp_prefilter", "hello",
            "counter", "guard", "fuzz");
    private static Path folder;

    private static synchronized Path folder() {
        if (folder == null) {
            try {
                Path tree = Files.createTempDirectory("kiln-descriptor-fuzz");
                Path t = Files.createDirectories(tree.resolve("templates").resolve("fuzz"));
                Files.createDirectories(t.resolve("include"));
                Files.createDirectories(tree.resolve("templates").resolve("lib"));
                Files.createDirectories(tree.resolve("templates").resolve("include"));
                for (String name : SOURCES) {
                    Files.writeString(t.resolve(name + ".bpf.c.ftl"), "// " + name + "\n");
                }
                Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(tree)));
                folder = t;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return folder;
    }

    @FuzzTest(maxDuration = "3m")
    @Timeout(5)
    void descriptor(byte[] input) throws IOException {
        Path file = folder().resolve("descriptor.yaml");
        Files.write(file, input);
        TemplateDescriptor d;
        try {
            d = Templates.load(file);
        } catch (DescriptorException e) {
            assertEquals(file, e.file(), "the error names the descriptor: " + e.getMessage());
            assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
            assertNotNull(e.reason());
            assertFalse(e.reason().isBlank(), "no reason: " + e.getMessage());
            assertTrue(e.line() >= 0 && e.column() >= 0, e.getMessage());
            return;
        }
        assertTrue(SOURCES.contains(d.name()), d.name());
        assertFalse(d.programs().isEmpty(), "a descriptor without programs was accepted");
        for (Path dir : d.includeDirs()) {
            assertTrue(dir.toRealPath().startsWith(folder().getParent().toRealPath()),
                    "include folder " + dir + " is outside the template's tree");
        }
    }

    private static void delete(Path tree) {
        try (Stream<Path> files = Files.walk(tree)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary folder
        }
    }
}
