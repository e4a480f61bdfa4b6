package io.kiln.bundle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.build.BuiltVariant;
import io.kiln.build.VariantBuilder;
import io.kiln.template.BuildParameters;
import io.kiln.template.Hook;
import io.kiln.template.MapScope;
import io.kiln.template.ParameterException;
import io.kiln.template.Parameters;
import io.kiln.template.TemplateDescriptor;
import io.kiln.template.Templates;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The index round trip, its determinism, reading bundles from folders, jars and the class path, and bad indexes. */
class BundleIndexTest {
    @TempDir
    static Path shared;
    @TempDir
    Path dir;

    private static TemplateDescriptor hello;
    private static BuiltVariant defaults;
    private static BuiltVariant noDrop;

    @BeforeAll
    static void buildHello() {
        String root = System.getProperty("kiln.home");
        Path repo = (root != null && !root.isBlank() ? Path.of(root) : Path.of("..")).toAbsolutePath().normalize();
        hello = Templates.load(repo.resolve("examples/templates/hello"));
        VariantBuilder builder = VariantBuilder.defaults(shared.resolve("store")).storeBytes(64L << 20).build();
        defaults = builder.build(hello, Parameters.resolve(hello, Map.of()));
        noDrop = builder.build(hello, Parameters.resolve(hello, Map.of("dropEnabled", false)));
    }

    private static BundledVariant describe(BuiltVariant v) {
        return BundledVariant.describe(v.template(), v.parameters(), v.result().object().key(),
                v.result().object().bytes(), v.info());
    }

    private static BundleIndex helloIndex() {
        return new BundleIndex(List.of(BundledTemplate.of(hello, List.of(describe(defaults), describe(noDrop)))));
    }

    /** Writes index and objects as the Maven plugin lays them out in target/classes. */
    private static Path writeBundle(Path folder, BundleIndex index, BuiltVariant... variants) throws IOException {
        Files.createDirectories(folder.resolve("META-INF/kiln"));
        Files.write(folder.resolve(BundleIndex.PATH), index.toJson());
        for (BuiltVariant v : variants) {
            Path object = folder.resolve(describe(v).object());
            Files.createDirectories(object.getParent());
            Files.write(object, v.result().object().bytes());
        }
        return folder;
    }

    private static Path jar(Path jar, Path folder) throws IOException {
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out);
             var files = Files.walk(folder)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                j.putNextEntry(new JarEntry(folder.relativize(f).toString()));
                j.write(Files.readAllBytes(f));
                j.closeEntry();
            }
        }
        return jar;
    }

    @Test
    void anIndexReadsBackAsItWasWritten() {
        BundleIndex index = helloIndex();
        BundleIndex read = BundleIndex.fromJson(index.toJson(), "test");
        assertEquals(index, read);
        BundledVariant v = read.variant("hello", defaults.parameters()).orElseThrow();
        assertEquals(defaults.result().object().key(), v.key());
        assertEquals("META-INF/kiln/objects/hello/" + v.key().hex() + ".o", v.object());
        assertEquals(new BundledProgram("hello_ingress", Hook.TC_INGRESS, "tc",
                defaults.info().program("hello_ingress").orElseThrow().instructions()), v.programs().get(0));
        assertEquals(new BundledMap("counters", MapScope.ENDPOINT, true, "percpu_array", 4, 8, 16, 0), v.maps().get(0));
        assertEquals(List.of("ENDPOINT_ID", "BLOCKED_IPV4"), v.constants().stream().map(BundledConstant::name).toList());
        assertEquals(2, v.constant("ENDPOINT_ID").orElseThrow().size());
    }

    @Test
    void declaredReasonsTravelInTheIndexAndAnOlderIndexHasNone() {
        List<io.kiln.template.ReasonDecl> reasons = List.of(
                new io.kiln.template.ReasonDecl("PASSED", 0, false, "under the budget"),
                new io.kiln.template.ReasonDecl("OVER_BUDGET", 40, true, "over the budget"));
        BundledTemplate guard = new BundledTemplate("guard", List.of(), List.of(), List.of(),
                List.of(new io.kiln.template.MapDecl("verdicts", MapScope.ENDPOINT, true)), reasons,
                java.util.Optional.of("verdicts"), List.of());
        BundleIndex read = BundleIndex.fromJson(new BundleIndex(List.of(guard)).toJson(), "test");
        BundledTemplate back = read.templates().get(0);
        assertEquals(reasons, back.reasons());
        assertEquals(java.util.Optional.of("verdicts"), back.reasonCounters());
        assertEquals(reasons, back.descriptor().reasons(), "an agent running from bundles labels drops by them");

        String text = new String(new BundleIndex(List.of(guard)).toJson(), StandardCharsets.UTF_8);
        BundleIndex older = BundleIndex.fromJson(text.replaceAll("(?s)\"reasons\" : \\[.*?\\],\\s*\"reasonCounters\" : \"verdicts\",", "")
                .getBytes(StandardCharsets.UTF_8), "old.jar");
        assertEquals(List.of(), older.templates().get(0).reasons());
        assertEquals(java.util.Optional.empty(), older.templates().get(0).reasonCounters());

        BundleException badCode = assertThrows(BundleException.class, () -> BundleIndex.fromJson(
                text.replace("\"code\" : 40", "\"code\" : 64").getBytes(StandardCharsets.UTF_8), "x.jar"));
        assertEquals("bundle x.jar: index.json: templates[0].reasons[1].code: expected 0 to 63, got 64",
                badCode.getMessage());
    }

    @Test
    void theSameIndexGivesTheSameBytesAndTemplatesAreSortedByName() {
        BundledTemplate a = BundledTemplate.of(hello, List.of(describe(defaults)));
        BundledTemplate z = new BundledTemplate("zeta", List.of(), List.of(), List.of(), List.of(), List.of());
        byte[] one = new BundleIndex(List.of(z, a)).toJson();
        byte[] two = new BundleIndex(List.of(a, z)).toJson();
        assertArrayEquals(one, two);
        String text = new String(one, StandardCharsets.UTF_8);
        assertTrue(text.indexOf("\"hello\"") < text.indexOf("\"zeta\""), text);
        assertTrue(text.startsWith("{\n  \"format\" : 1,\n"), text);
        assertTrue(text.contains("\"build\" : {\n            \"counterSlots\" : 16,\n            \"dropEnabled\" : true\n"),
                text);
        assertTrue(!text.contains("\r") && text.endsWith("}\n"), text);
    }

    @Test
    void aTemplateFindsItsVariantFromSpecValuesWithDefaultsFilledIn() {
        BundledTemplate t = helloIndex().template("hello").orElseThrow();
        assertEquals(noDrop.parameters(), t.variant(Map.of("dropEnabled", "false")).orElseThrow().parameters());
        assertTrue(t.variant(Map.of("counterSlots", 8)).isEmpty());
        assertThrows(ParameterException.class, () -> t.variant(Map.of("nope", 1)));
        assertEquals("hello", t.descriptor().name());
        assertEquals(hello.constants(), t.descriptor().constants());
    }

    @Test
    void aFolderBundleServesItsObjectsCheckedAgainstTheIndex() throws IOException {
        BundleIndex index = helloIndex();
        Path folder = writeBundle(dir.resolve("classes"), index, defaults, noDrop);
        Bundle bundle = Bundle.open(folder);
        BundledVariant v = bundle.index().variant("hello", noDrop.parameters()).orElseThrow();
        assertArrayEquals(noDrop.result().object().bytes(), bundle.object(v));

        byte[] damaged = noDrop.result().object().bytes();
        damaged[damaged.length / 2] ^= 1;
        Files.write(folder.resolve(v.object()), damaged);
        BundleException e = assertThrows(BundleException.class, () -> bundle.object(v));
        assertTrue(e.getMessage().contains("does not match the index"), e.getMessage());

        Files.delete(folder.resolve(v.object()));
        e = assertThrows(BundleException.class, () -> bundle.object(v));
        assertTrue(e.getMessage().contains("cannot read it"), e.getMessage());
    }

    @Test
    void bundlesOnTheClassPathReadTheirObjectsFromTheirOwnJar() throws IOException {
        BundleIndex first = new BundleIndex(List.of(BundledTemplate.of(hello, List.of(describe(defaults)))));
        BundleIndex second = new BundleIndex(List.of(BundledTemplate.of(hello, List.of(describe(noDrop)))));
        Path jar1 = jar(dir.resolve("one.jar"), writeBundle(dir.resolve("one"), first, defaults));
        Path jar2 = jar(dir.resolve("two.jar"), writeBundle(dir.resolve("two"), second, noDrop));
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar1.toUri().toURL(), jar2.toUri().toURL()}, null)) {
            List<Bundle> bundles = Bundle.onClassPath(loader);
            assertEquals(2, bundles.size());
            assertTrue(bundles.get(0).indexUrl().toString().startsWith("jar:"), bundles.get(0).indexUrl().toString());
            for (Bundle b : bundles) {
                BundledVariant v = b.index().templates().get(0).variants().get(0);
                BuiltVariant expected = v.parameters().equals(defaults.parameters()) ? defaults : noDrop;
                assertArrayEquals(expected.result().object().bytes(), b.object(v));
            }
        }
        assertEquals(first, Bundle.open(jar1).index());
    }

    @Test
    void aBadIndexNamesTheFieldAtFault() {
        String good = new String(helloIndex().toJson(), StandardCharsets.UTF_8);
        BundleException missing = assertThrows(BundleException.class, () -> BundleIndex.fromJson(
                good.replaceFirst("\"key\" : \"[0-9a-f]+\",", "").getBytes(StandardCharsets.UTF_8), "x.jar"));
        assertEquals("bundle x.jar: index.json: templates[0].variants[0].key: missing", missing.getMessage());

        BundleException newer = assertThrows(BundleException.class, () -> BundleIndex.fromJson(
                good.replace("\"format\" : 1", "\"format\" : 7").getBytes(StandardCharsets.UTF_8), "x.jar"));
        assertTrue(newer.getMessage().startsWith("bundle x.jar: index.json: format: format 7 is not one this Kiln"
                + " reads"), newer.getMessage());

        BundleException hook = assertThrows(BundleException.class, () -> BundleIndex.fromJson(
                good.replace("\"tc-ingress\"", "\"tc-sideways\"").getBytes(StandardCharsets.UTF_8), "x.jar"));
        assertEquals("bundle x.jar: index.json: templates[0].programs[0].hook: unknown hook 'tc-sideways'",
                hook.getMessage());

        BundleException notJson = assertThrows(BundleException.class,
                () -> BundleIndex.fromJson("{".getBytes(StandardCharsets.UTF_8), "x.jar"));
        assertTrue(notJson.getMessage().startsWith("bundle x.jar: META-INF/kiln/index.json is not valid JSON"),
                notJson.getMessage());
    }

    @Test
    void anObjectPathOutsideTheObjectsFolderIsRefused() throws IOException {
        BundledVariant v = describe(defaults);
        BundledVariant escaping = new BundledVariant(v.parameters(), v.key(), "META-INF/kiln/objects/../../x.o",
                v.sha256(), v.size(), v.programs(), v.maps(), v.constants());
        Bundle bundle = Bundle.open(writeBundle(dir.resolve("b"), helloIndex()));
        BundleException e = assertThrows(BundleException.class, () -> bundle.object(escaping));
        assertTrue(e.getMessage().endsWith("not a path under META-INF/kiln/objects/"), e.getMessage());
        assertEquals(BuildParameters.class, v.parameters().getClass());
    }
}
