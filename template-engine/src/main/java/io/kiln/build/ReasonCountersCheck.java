package io.kiln.build;

import io.kiln.object.MapInfo;
import io.kiln.object.ObjectInfo;
import io.kiln.template.ReasonDecl;
import io.kiln.template.TemplateDescriptor;
import java.util.List;
import java.util.Optional;

/**
 * The map a descriptor names as {@code reasonCounters}, against its fixed layout (per-CPU, a u32 key
 * {@code direction * SLOTS + code}, a 16-byte value of packets and bytes): the agent reads every
 * template's counters the same way, so a map of another shape must fail the build, not be misread on
 * a node. Checked for every built variant (kiln compile, kiln:compile, the testing API) and again by
 * the bindings generator.
 */
public final class ReasonCountersCheck {
    private static final List<String> TYPES = List.of("percpu_array", "percpu_hash");

    private ReasonCountersCheck() {
    }

    /** Null when the object's counter map fits the layout (or the template names none), else what is wrong. */
    public static String problem(TemplateDescriptor template, ObjectInfo object) {
        Optional<String> name = template.reasonCounters();
        if (name.isEmpty()) {
            return null;
        }
        String where = template.descriptorFile() + ": reasonCounters: map '" + name.get() + "'";
        Optional<MapInfo> found = object.map(name.get());
        if (found.isEmpty()) {
            return where + " is not in the object";
        }
        MapInfo m = found.get();
        if (TYPES.contains(m.typeName()) && m.keySize() == 4 && m.valueSize() == ReasonDecl.COUNTER_VALUE_SIZE
                && !("percpu_array".equals(m.typeName()) && m.maxEntries() < 2 * ReasonDecl.SLOTS)) {
            return null;
        }
        return where + ": expected a percpu_array (or percpu_hash) with a 4-byte key (direction * "
                + ReasonDecl.SLOTS + " + code), a " + ReasonDecl.COUNTER_VALUE_SIZE + "-byte value (__u64 packets,"
                + " __u64 bytes) and at least " + 2 * ReasonDecl.SLOTS + " entries; the object has a " + m.typeName()
                + " with a " + m.keySize() + "-byte key, a " + m.valueSize() + "-byte value and " + m.maxEntries()
                + " entries";
    }

    static void verify(TemplateDescriptor template, ObjectInfo object, String variantName) {
        String problem = problem(template, object);
        if (problem != null) {
            throw new ConstantMismatchException("template " + template.name() + ": variant " + variantName + ": "
                    + problem);
        }
    }
}
