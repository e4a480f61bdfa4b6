package io.kiln.bindings;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.build.BuiltVariant;
import io.kiln.build.VariantBuilder;
import io.kiln.template.Constants;
import io.kiln.template.Parameters;
import io.kiln.template.TemplateDescriptor;
import io.kiln.template.Templates;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Generates bindings for real compiled objects, compiles them with javac and checks bytes worked out by hand. */
class BindingsGeneratorTest {
    @TempDir
    Path dir;

    private BuiltVariant build(Path template, Map<String, ?> parameters) {
        VariantBuilder builder = VariantBuilder.defaults(dir.resolve("store")).storeBytes(64L << 20).build();
        TemplateDescriptor t = Templates.load(template);
        return builder.build(t, Parameters.resolve(t, parameters));
    }

    private static Path resource(String name) throws URISyntaxException {
        return Path.of(Objects.requireNonNull(BindingsGeneratorTest.class.getResource(name), name).toURI());
    }

    private static Path repositoryRoot() {
        String root = System.getProperty("kiln.home");
        return (root != null && !root.isBlank() ? Path.of(root) : Path.of("..")).toAbsolutePath().normalize();
    }

    @Test
    void structKeyedMapEncodesAndDecodesAsWorkedOutByHand() throws Exception {
        BuiltVariant v = build(resource("/bindings/flows"), Map.of());
        GeneratedSource source = new BindingsGenerator("test.bpf").generate(v.template(), v.info(), v.displayName());
        assertEquals("test.bpf.FlowsBpf", source.className());
        assertEquals("test/bpf/FlowsBpf.java", source.relativePath());

        ClassLoader loader = GeneratedJava.compile(dir, List.of(source), "/bindings/FlowsCheck.java");
        Method run = loader.loadClass("test.bpf.FlowsCheck").getMethod("run");
        @SuppressWarnings("unchecked")
        Map<String, byte[]> encoded = (Map<String, byte[]>) run.invoke(null);

        // the generated encoder agrees with the engine's own, which the runtime uses for specs
        Map<String, Object> given = new LinkedHashMap<>();
        given.put("ENABLED", "false");
        given.put("PORT", "80");
        given.put("LIMIT", "4294967294");
        given.put("COOKIE", "18446744073709551615");
        given.put("LEVEL", "3");
        given.put("SELF_V4", "198.18.0.1");
        given.put("SELF_V6", "2001:db8::1");
        given.put("SELF_MAC", "02:00:00:00:00:01");
        Map<String, byte[]> engine = Constants.encodeAll(v.template(), given);
        assertEquals(engine.keySet(), encoded.keySet());
        engine.forEach((name, bytes) -> assertArrayEquals(bytes, encoded.get(name), name));
    }

    @Test
    void descriptionsCannotBreakTheGeneratedJavadoc() throws Exception {
        BuiltVariant v = build(resource("/bindings/flows"), Map.of());
        String text = new BindingsGenerator("test.bpf").generate(v.template(), v.info(), v.displayName()).text();
        assertTrue(text.contains("Port &lt;80&gt; &amp; such *&#47; &#64;not-a-tag"), text);
    }

    @Test
    void theSameInputsGiveTheSameText() throws Exception {
        BuiltVariant v = build(resource("/bindings/flows"), Map.of());
        BindingsGenerator generator = new BindingsGenerator("test.bpf");
        assertEquals(generator.generate(v.template(), v.info(), v.displayName()),
                generator.generate(v.template(), v.info(), v.displayName()));
    }

    @Test
    void helloBindingsCompileAndEncodeItsConstants() throws Exception {
        BuiltVariant v = build(repositoryRoot().resolve("examples/templates/hello"), Map.of());
        GeneratedSource source = new BindingsGenerator("com.example.bpf").generate(v.template(), v.info(),
                v.displayName());
        ClassLoader loader = GeneratedJava.compile(dir, List.of(source));
        Class<?> constants = loader.loadClass("com.example.bpf.HelloBpf$Constants");
        Object builder = constants.getMethod("builder").invoke(null);
        Class<?> builderClass = builder.getClass();
        builderClass.getMethod("endpointId", int.class).invoke(builder, 12);
        builderClass.getMethod("blockedIpv4", String.class).invoke(builder, "198.18.0.9");
        Object built = builderClass.getMethod("build").invoke(builder);
        @SuppressWarnings("unchecked")
        Map<String, byte[]> encoded = (Map<String, byte[]>) constants.getMethod("encode").invoke(built);
        assertArrayEquals(new byte[] {12, 0}, encoded.get("ENDPOINT_ID"));
        assertArrayEquals(new byte[] {(byte) 198, 18, 0, 9}, encoded.get("BLOCKED_IPV4"));

        Class<?> key = loader.loadClass("com.example.bpf.HelloBpf$CountersMap$Key");
        Object k = key.getConstructor(long.class).newInstance(7L);
        assertArrayEquals(new byte[] {7, 0, 0, 0}, (byte[]) key.getMethod("toBytes").invoke(k));
        assertEquals(16, loader.loadClass("com.example.bpf.HelloBpf$CountersMap").getField("MAX_ENTRIES").get(null));
        assertEquals("hello_ingress", loader.loadClass("com.example.bpf.HelloBpf$Programs")
                .getField("HELLO_INGRESS").get(null));
    }

    @Test
    void aBuildParameterThatChangesAValueLayoutIsNamed() throws Exception {
        BuiltVariant narrow = build(resource("/bindings/flows"), Map.of());
        BuiltVariant wide = build(resource("/bindings/flows"), Map.of("wide", true));
        List<String> differences = BindingsGenerator.layoutDifferences(narrow.info(), narrow.displayName(),
                wide.info(), wide.displayName());
        assertEquals(List.of("map flows: the value is laid out differently in flows(wide=true) (56 bytes) than in"
                + " flows(wide=false) (48 bytes)"), differences);
        assertEquals(List.of(), BindingsGenerator.layoutDifferences(narrow.info(), "a", narrow.info(), "b"));
    }

    @Test
    void aPackageThatIsNoJavaNameIsRefused() {
        BindingsException e = assertThrows(BindingsException.class, () -> new BindingsGenerator("com.my-group.bpf"));
        assertEquals("bindings package 'com.my-group.bpf': 'my-group' is not a Java identifier", e.getMessage());
        assertThrows(BindingsException.class, () -> new BindingsGenerator("com.class.bpf"));
    }
}
