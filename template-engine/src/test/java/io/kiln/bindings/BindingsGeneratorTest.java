package io.kiln.bindings;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    void declaredReasonsBecomeTheCMacrosAndAJavaEnum() throws Exception {
        TemplateDescriptor t = Templates.load(resource("/bindings/guard"));
        String c = new io.kiln.template.Renderer().render(t, Parameters.resolve(t, Map.of())).text();
        assertTrue(c.contains("#define REASON_PASSED 0 /* pass: Under the budget */"), c);
        assertTrue(c.contains("#define REASON_OVER_BUDGET 40 /* drop: Over the budget <per source> * / */"), c);
        assertTrue(c.contains("#define REASON_NOT_IPV4 63 /* drop */"), c);
        assertTrue(c.contains("#define KILN_REASON_SLOTS 64"), c);

        BuiltVariant v = build(resource("/bindings/guard"), Map.of());
        GeneratedSource source = new BindingsGenerator("test.bpf").generate(v.template(), v.info(), v.displayName());
        ClassLoader loader = GeneratedJava.compile(dir, List.of(source));
        Class<?> reason = loader.loadClass("test.bpf.GuardBpf$DropReason");
        Object[] all = reason.getEnumConstants();
        assertEquals(List.of("PASSED", "OVER_BUDGET", "NOT_IPV4"), java.util.Arrays.stream(all).map(Object::toString).toList());
        Object over = reason.getMethod("of", int.class).invoke(null, 40);
        assertEquals("OVER_BUDGET", over.toString());
        assertEquals(true, reason.getMethod("isDrop").invoke(over));
        assertEquals(false, reason.getMethod("isDrop").invoke(all[0]));
        assertEquals("Over the budget <per source> */", reason.getMethod("description").invoke(over));
        assertEquals(64 + 40, reason.getMethod("slot", int.class).invoke(over, 1));
        assertEquals(over, reason.getMethod("ofSlot", int.class).invoke(null, 64 + 40));
        assertEquals("verdicts", reason.getField("COUNTERS_MAP").get(null));
        assertEquals(64, reason.getField("SLOTS").get(null));
        java.lang.reflect.InvocationTargetException none = org.junit.jupiter.api.Assertions.assertThrows(
                java.lang.reflect.InvocationTargetException.class, () -> reason.getMethod("of", int.class).invoke(null, 1));
        assertEquals("template guard has no reason with code 1", none.getCause().getMessage());
        // the Javadoc stays valid around a description with markup in it
        assertTrue(source.text().contains("Over the budget &lt;per source&gt; *&#47;"), source.text());
    }

    @Test
    void aCounterMapOfAnotherLayoutFailsTheBuild() throws Exception {
        // checked on every built variant (kiln compile, kiln:compile, the testing API), not only for bindings
        io.kiln.build.ConstantMismatchException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.kiln.build.ConstantMismatchException.class, () -> build(resource("/bindings/guard"), Map.of("narrow", true)));
        TemplateDescriptor t = Templates.load(resource("/bindings/guard"));
        assertTrue(e.getMessage().startsWith("template guard: variant guard(narrow=true): " + t.descriptorFile()
                + ": reasonCounters: map 'verdicts': expected a percpu_array"), e.getMessage());
        assertTrue(e.getMessage().endsWith("the object has a percpu_array with a 4-byte key, a 16-byte value and 2 entries"),
                e.getMessage());
        assertTrue(e.isUserError());
    }

    @Test
    void aTemplateWithoutReasonsHasNoEnum() throws Exception {
        BuiltVariant v = build(resource("/bindings/flows"), Map.of());
        assertFalse(new BindingsGenerator("test.bpf").generate(v.template(), v.info(), v.displayName()).text()
                .contains("enum DropReason"));
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
        assertEquals(List.of("map flows: the value is laid out differently in flows(swapPorts=false,wide=true) (56 bytes)"
                + " than in flows(swapPorts=false,wide=false) (48 bytes)"), differences);
        assertEquals(List.of(), BindingsGenerator.layoutDifferences(narrow.info(), "a", narrow.info(), "b"));
    }

    @Test
    void reorderingTwoSameSizeFieldsInTheCMovesTheirBytes() throws Exception {
        // the case hand-written layouts miss: same struct size, two fields swapped
        BuiltVariant plain = build(resource("/bindings/flows"), Map.of());
        BuiltVariant swapped = build(resource("/bindings/flows"), Map.of("swapPorts", true));
        assertEquals(List.of("map flows: the key is laid out differently in flows(swapPorts=true,wide=false) (16 bytes)"
                + " than in flows(swapPorts=false,wide=false) (16 bytes)"), BindingsGenerator.layoutDifferences(plain.info(),
                plain.displayName(), swapped.info(), swapped.displayName()));

        byte[] before = flowKey(plain, dir.resolve("plain"));
        byte[] after = flowKey(swapped, dir.resolve("swapped"));
        // saddr, daddr, then the ports in network order, proto 6, padding zeroed
        assertArrayEquals(new byte[] {(byte) 198, 18, 0, 1, (byte) 198, 18, 0, 2, 0, 80, 1, (byte) 187, 6, 0, 0, 0},
                before);
        assertArrayEquals(new byte[] {(byte) 198, 18, 0, 1, (byte) 198, 18, 0, 2, 1, (byte) 187, 0, 80, 6, 0, 0, 0},
                after);
    }

    /** The flows key {sport 80, dport 443} as bindings generated from this variant encode it, decoded back. */
    private static byte[] flowKey(BuiltVariant v, Path into) throws Exception {
        GeneratedSource source = new BindingsGenerator("test.bpf").generate(v.template(), v.info(), v.displayName());
        ClassLoader loader = GeneratedJava.compile(into, List.of(source));
        Class<?> key = loader.loadClass("test.bpf.FlowsBpf$FlowsMap$Key");
        // fields by name: a positional constructor follows the C order, so it would swap the ports here
        Object b = key.getMethod("builder").invoke(null);
        Class<?> builder = b.getClass();
        builder.getMethod("saddr", long.class).invoke(b, 0xC6120001L);
        builder.getMethod("daddr", long.class).invoke(b, 0xC6120002L);
        builder.getMethod("sport", int.class).invoke(b, 80);
        builder.getMethod("dport", int.class).invoke(b, 443);
        builder.getMethod("proto", int.class).invoke(b, 6);
        Object k = builder.getMethod("build").invoke(b);
        byte[] bytes = (byte[]) key.getMethod("toBytes").invoke(k);
        Object back = key.getMethod("fromBytes", byte[].class).invoke(null, (Object) bytes);
        assertEquals(k, back);
        assertEquals(bytes[key.getField("OFFSET_SPORT").getInt(null) + 1] & 0xff, 80);
        assertEquals(80, key.getMethod("sport").invoke(back));
        assertEquals(443, key.getMethod("dport").invoke(back));
        return bytes;
    }

    @Test
    void paddingNeedNotBeSpelled() throws Exception {
        BuiltVariant v = build(resource("/bindings/flows"), Map.of());
        GeneratedSource source = new BindingsGenerator("test.bpf").generate(v.template(), v.info(), v.displayName());
        Class<?> key = GeneratedJava.compile(dir, List.of(source)).loadClass("test.bpf.FlowsBpf$FlowsMap$Key");
        Object k = key.getConstructor(long.class, long.class, int.class, int.class, int.class)
                .newInstance(0xC6120001L, 0xC6120002L, 80, 443, 6);
        assertEquals(k, key.getConstructor(long.class, long.class, int.class, int.class, int.class, byte[].class)
                .newInstance(0xC6120001L, 0xC6120002L, 80, 443, 6, new byte[3]));
    }

    @Test
    void aPackageThatIsNoJavaNameIsRefused() {
        BindingsException e = assertThrows(BindingsException.class, () -> new BindingsGenerator("com.my-group.bpf"));
        assertEquals("bindings package 'com.my-group.bpf': 'my-group' is not a Java identifier", e.getMessage());
        assertThrows(BindingsException.class, () -> new BindingsGenerator("com.class.bpf"));
    }
}
