package io.kiln.agent.dataplane;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.build.BuiltVariant;
import io.kiln.build.VariantBuilder;
import io.kiln.bundle.Bundle;
import io.kiln.bundle.BundleIndex;
import io.kiln.bundle.BundledTemplate;
import io.kiln.bundle.BundledVariant;
import io.kiln.runtime.TemplateObject;
import io.kiln.template.BuildParameters;
import io.kiln.template.ConstantDecl;
import io.kiln.template.ConstantType;
import io.kiln.template.Parameters;
import io.kiln.template.TemplateDescriptor;
import io.kiln.template.Templates;
import io.kiln.testing.KernelRequirements;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real bundle folder (index and objects as the plugin writes them) serves the agent without clang. */
class BundleObjectSourceTest {
    private static final Path HELLO = Path.of(System.getProperty("kiln.home", ".."), "examples", "templates", "hello");

    @Test
    void bundledVariantsAreServedWithoutClangAndOthersFallThrough(@TempDir Path tmp) throws Exception {
        KernelRequirements.assumeTools("clang");
        TemplateDescriptor hello = Templates.load(HELLO);
        BuildParameters defaults = Parameters.resolve(hello, Map.of());
        VariantBuilder builder = VariantBuilder.defaults(tmp.resolve("store")).storeBytes(64L << 20).build();
        BuiltVariant built = builder.build(hello, defaults);
        byte[] object = built.result().object().bytes();

        Path folder = tmp.resolve("bundle");
        BundledVariant variant = BundledVariant.describe(hello, defaults, built.result().object().key(), object,
                built.info());
        Path objectFile = folder.resolve(variant.object());
        Files.createDirectories(objectFile.getParent());
        Files.write(objectFile, object);
        Files.write(folder.resolve(BundleIndex.PATH),
                new BundleIndex(List.of(BundledTemplate.of(hello, List.of(variant)))).toJson());

        BundleObjectSource source = BundleObjectSource.of(List.of(Bundle.open(folder)));
        ObjectSources bundlesOnly = ObjectSources.builder().bundles(source).build();
        TemplateObject served = bundlesOnly.get(hello, defaults);
        assertArrayEquals(object, served.bytes());
        assertEquals(built.result().object().key().toString(), served.variantKey().orElseThrow());
        assertEquals(1, bundlesOnly.hits());
        assertEquals(0, bundlesOnly.clangRuns());

        // one flipped byte in the bundle's object: refused against the index digest, not loaded
        byte[] tampered = object.clone();
        tampered[tampered.length / 2] ^= 1;
        Files.write(objectFile, tampered);
        io.kiln.KilnException refused = org.junit.jupiter.api.Assertions.assertThrows(io.kiln.KilnException.class,
                () -> bundlesOnly.get(hello, defaults));
        assertTrue(refused.getMessage().contains("does not match the index"), refused.getMessage());
        Files.write(objectFile, object);

        BuildParameters other = Parameters.resolve(hello, Map.of("dropEnabled", false));
        assertTrue(source.find(hello, other).isEmpty(), "a variant the bundle lacks falls through");

        List<ConstantDecl> changed = new ArrayList<>(hello.constants());
        changed.add(new ConstantDecl("EXTRA", ConstantType.U32, ""));
        TemplateDescriptor edited = new TemplateDescriptor(hello.name(), hello.root(), hello.descriptorFile(),
                hello.templateFile(), hello.includeDirs(), hello.programs(), hello.buildParameters(), changed,
                hello.maps());
        assertTrue(source.find(edited, defaults).isEmpty(),
                "a bundle built from other declarations is not used for the agent's template");
    }
}
