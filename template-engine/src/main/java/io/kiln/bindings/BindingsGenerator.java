package io.kiln.bindings;

import io.kiln.bindings.internal.BindingsFile;
import io.kiln.bindings.internal.JavaNames;
import io.kiln.bindings.internal.MapLayouts;
import io.kiln.object.ObjectInfo;
import io.kiln.template.TemplateDescriptor;
import java.util.List;

/**
 * Generates the Java bindings of a template from its descriptor and one compiled variant's object:
 * a class {@code <Template>Bpf} in the given package. Deterministic: the same inputs give the same
 * text. Thread-safe.
 *
 * <p>Layouts come from one variant's BTF. When build parameters change a map's key or value (a
 * field only compiled in with {@code ipv6=true}, say), bindings for that map fit only some variants;
 * {@link #layoutDifferences} names such maps so a build can warn.
 */
public final class BindingsGenerator {
    private final String javaPackage;

    /**
     * @param javaPackage package of the generated classes, e.g. {@code com.example.bpf}
     * @throws BindingsException when it is not a valid Java package name
     */
    public BindingsGenerator(String javaPackage) {
        String problem = JavaNames.packageProblem(javaPackage);
        if (problem != null) {
            throw new BindingsException("bindings package '" + javaPackage + "': " + problem);
        }
        this.javaPackage = javaPackage;
    }

    public String javaPackage() {
        return javaPackage;
    }

    /** The simple name of a template's bindings class: {@code hello} gives {@code HelloBpf}. */
    public static String className(String template) {
        return JavaNames.pascal(template) + "Bpf";
    }

    /**
     * The bindings of {@code template}, with layouts and compiled constant values read from
     * {@code object}, an object of the variant named {@code variant} (how the generated Javadoc names
     * the source of its layouts, e.g. {@code hello(counterSlots=16,dropEnabled=true)}).
     */
    public GeneratedSource generate(TemplateDescriptor template, ObjectInfo object, String variant) {
        String simple = className(template.name());
        String text = BindingsFile.write(javaPackage, simple, template, object, variant);
        return new GeneratedSource(javaPackage + "." + simple, javaPackage.replace('.', '/') + "/" + simple + ".java",
                text);
    }

    /**
     * Maps whose key or value layout differs between two variants' objects (or that only one has),
     * one line each; empty when bindings generated from either fit both.
     */
    public static List<String> layoutDifferences(ObjectInfo base, String baseName, ObjectInfo other, String otherName) {
        return MapLayouts.differences(base, baseName, other, otherName);
    }
}
