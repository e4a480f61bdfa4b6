package io.kiln.maven.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kiln.template.BuildParameters;
import io.kiln.template.Parameters;
import io.kiln.template.TemplateDescriptor;
import io.kiln.template.Templates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Why a variant is rebuilt, from a recorded state, read back from its text form. */
class StalenessTest {
    @TempDir
    Path dir;
    private TemplateDescriptor t;
    private PlannedVariant variant;
    private Path header;
    private Path output;
    private List<Path> inputs;

    @BeforeEach
    void setUp() throws IOException {
        Path root = Files.createDirectories(dir.resolve("bpf/t"));
        Files.writeString(root.resolve("t.template.yaml"), "name: t\nincludes: [../include]\nprograms:\n  p: { hook: xdp }\n");
        Files.writeString(root.resolve("t.bpf.c.ftl"), "// source\n");
        header = Files.createDirectories(dir.resolve("bpf/include/kiln")).resolve("ct.h");
        Files.writeString(header, "// header\n");
        t = Templates.load(root);
        BuildParameters p = Parameters.resolve(t, Map.of());
        variant = new PlannedVariant(t, p);
        output = Files.createDirectories(dir.resolve("classes"));
        Files.createDirectories(output.resolve("META-INF/kiln/objects/t"));
        Files.writeString(output.resolve("META-INF/kiln/objects/t/k.o"), "object");
        inputs = TemplateInputs.of(t);
    }

    /** The state a build of the variant leaves, written and read back as the plugin does. */
    private BuildState recorded(String plugin, CompilerStamp compiler) throws IOException {
        FileDigests d = new FileDigests();
        Map<String, String> in = new java.util.TreeMap<>();
        inputs.forEach(p -> in.put(p.toString(), d.of(p)));
        BuildState s = BuildState.of(plugin, compiler, Map.of(variant.displayName(), new BuildState.VariantState(
                "k", "META-INF/kiln/objects/t/k.o", d.of(output.resolve("META-INF/kiln/objects/t/k.o")), in,
                Map.of(header.toString(), d.of(header)))));
        Path file = dir.resolve("state.txt");
        Files.write(file, s.toText());
        BuildState read = BuildState.read(file, plugin);
        assertEquals(s, read);
        return read;
    }

    private Optional<String> reason(BuildState state, String plugin, String clangSetting) {
        return new Staleness(state, plugin, clangSetting, new FileDigests(), output,
                new PathNames(dir.resolve("bpf"), dir)).reason(variant, TemplateInputs.of(t));
    }

    private CompilerStamp clang() {
        return CompilerStamp.of("PATH", Path.of("/bin/sh"));
    }

    @Test
    void nothingChangedIsUpToDate() throws IOException {
        assertEquals(Optional.empty(), reason(recorded("1", clang()), "1", "PATH"));
    }

    @Test
    void aChangedHeaderIsNamedRelativeToTheTemplatesFolder() throws IOException {
        BuildState s = recorded("1", clang());
        Files.writeString(header, "// changed\n");
        assertEquals(Optional.of("include/kiln/ct.h changed"), reason(s, "1", "PATH"));
        Files.delete(header);
        assertEquals(Optional.of("include/kiln/ct.h removed"), reason(s, "1", "PATH"));
    }

    @Test
    void aHeaderThatNowComesEarlierInTheSearchRebuilds() throws IOException {
        BuildState s = recorded("1", clang());
        Files.createDirectories(dir.resolve("bpf/t/kiln"));
        Files.writeString(dir.resolve("bpf/t/kiln/ct.h"), "// shadows include/kiln/ct.h\n");
        assertEquals(Optional.of("t/kiln/ct.h added (it comes before include/kiln/ct.h)"), reason(s, "1", "PATH"));
    }

    @Test
    void aNewFreeMarkerFileOrAChangedDescriptorRebuilds() throws IOException {
        BuildState s = recorded("1", clang());
        Files.writeString(dir.resolve("bpf/include/macros.ftl"), "<#macro m></#macro>\n");
        assertEquals(Optional.of("include/macros.ftl added"), reason(s, "1", "PATH"));
        Files.delete(dir.resolve("bpf/include/macros.ftl"));
        Files.writeString(t.descriptorFile(), Files.readString(t.descriptorFile()) + "# comment\n");
        assertEquals(Optional.of("t/t.template.yaml changed"), reason(s, "1", "PATH"));
    }

    @Test
    void theOutputObjectThePluginAndTheCompilerCount() throws IOException {
        BuildState s = recorded("1", clang());
        assertEquals(Optional.of("the Kiln plugin changed (1 -> 2)"), reason(s, "2", "PATH"));
        assertEquals(Optional.of("the clang setting changed (PATH -> kiln.clang=/x)"), reason(s, "1", "kiln.clang=/x"));
        Files.delete(output.resolve("META-INF/kiln/objects/t/k.o"));
        assertEquals(Optional.of("its object classes/META-INF/kiln/objects/t/k.o is missing or was changed"),
                reason(s, "1", "PATH"));
        assertEquals(Optional.of("not built before"), reason(BuildState.empty("1"), "1", "PATH"));
    }
}
