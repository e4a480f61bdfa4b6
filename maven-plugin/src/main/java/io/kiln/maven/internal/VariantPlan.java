package io.kiln.maven.internal;

import io.kiln.maven.Template;
import io.kiln.template.BuildParameters;
import io.kiln.template.ParameterException;
import io.kiln.template.Parameters;
import io.kiln.template.TemplateDescriptor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The variants of each template, from the POM's {@code <templates>}: explicit sets and/or the matrix
 * (minus excludes), in declaration order without repeats; the default variant when nothing is
 * declared. The first variant of a template is the one its bindings are generated from.
 */
public final class VariantPlan {
    private final Map<TemplateDescriptor, List<PlannedVariant>> variants;

    private VariantPlan(Map<TemplateDescriptor, List<PlannedVariant>> variants) {
        this.variants = variants;
    }

    /**
     * @param matrixByDefault build the matrix of templates the POM does not mention
     * @throws ConfigurationException when the POM names an unknown template or a bad variant
     */
    public static VariantPlan of(List<TemplateDescriptor> templates, List<Template> declared, boolean matrixByDefault) {
        Map<String, Template> byName = new LinkedHashMap<>();
        for (Template t : declared) {
            if (t.getName() == null || t.getName().isBlank()) {
                throw new ConfigurationException("<templates>: a <template> has no <name>");
            }
            if (byName.putIfAbsent(t.getName(), t) != null) {
                throw new ConfigurationException("<templates>: template " + t.getName() + " is declared twice");
            }
        }
        Set<String> found = templates.stream().map(TemplateDescriptor::name).collect(Collectors.toSet());
        for (String name : byName.keySet()) {
            if (!found.contains(name)) {
                throw new ConfigurationException("<templates>: no template named " + name + " was found; found: "
                        + (found.isEmpty() ? "none" : String.join(", ", found.stream().sorted().toList())));
            }
        }
        Map<TemplateDescriptor, List<PlannedVariant>> out = new LinkedHashMap<>();
        for (TemplateDescriptor t : templates) {
            out.put(t, plan(t, byName.get(t.name()), matrixByDefault));
        }
        return new VariantPlan(out);
    }

    private static List<PlannedVariant> plan(TemplateDescriptor t, Template declared, boolean matrixByDefault) {
        Set<BuildParameters> sets = new LinkedHashSet<>();
        String where = "<template> " + t.name();
        try {
            boolean matrix = declared == null ? matrixByDefault : declared.isMatrix();
            if (matrix) {
                List<Map<String, String>> excludes = new ArrayList<>();
                for (String e : declared == null ? List.<String>of() : declared.getExcludes()) {
                    Map<String, String> exclude = assignments(e);
                    Parameters.resolve(t, exclude); // names and values must exist, or the exclude is a typo
                    excludes.add(exclude);
                }
                for (BuildParameters p : Parameters.matrix(t)) {
                    if (excludes.stream().noneMatch(x -> matches(p, t, x))) {
                        sets.add(p);
                    }
                }
            }
            for (String v : declared == null ? List.<String>of() : declared.getVariants()) {
                sets.add(Parameters.resolve(t, assignments(v)));
            }
        } catch (ParameterException e) {
            throw new ConfigurationException(where + ": " + e.getMessage());
        }
        if (sets.isEmpty()) {
            if (declared != null && declared.isMatrix()) {
                throw new ConfigurationException(where + ": the excludes leave no variant of the matrix");
            }
            sets.add(Parameters.resolve(t, Map.of()));
        }
        return sets.stream().map(p -> new PlannedVariant(t, p)).toList();
    }

    /** {@code a=1,b=true} (or {@code default}, or empty) as assignments. */
    static Map<String, String> assignments(String text) {
        String trimmed = text == null ? "" : text.trim();
        if (trimmed.isEmpty() || trimmed.equals("default")) {
            return Map.of();
        }
        List<String> items = new ArrayList<>();
        for (String item : trimmed.split(",")) {
            items.add(item.trim());
        }
        return Parameters.parseAssignments(items);
    }

    private static boolean matches(BuildParameters p, TemplateDescriptor t, Map<String, String> exclude) {
        BuildParameters resolved = Parameters.resolve(t, exclude);
        return exclude.keySet().stream().allMatch(name -> resolved.get(name).equals(p.get(name)));
    }

    public Map<TemplateDescriptor, List<PlannedVariant>> byTemplate() {
        return variants;
    }

    public List<PlannedVariant> all() {
        return variants.values().stream().flatMap(List::stream).toList();
    }

    public boolean isEmpty() {
        return variants.isEmpty();
    }
}
