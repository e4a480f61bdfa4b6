package io.kiln.maven.internal;

import io.kiln.template.BuildParameter;
import io.kiln.template.BuildParameters;
import io.kiln.template.TemplateDescriptor;
import java.util.ArrayList;
import java.util.List;

/** One variant a build produces: a template and a complete set of build parameters. */
public record PlannedVariant(TemplateDescriptor template, BuildParameters parameters) {
    /**
     * How the plugin's messages name a variant: the template and the build parameters that differ from
     * their defaults, e.g. {@code endpoint(ipv6=true)}; {@code endpoint()} is the default variant.
     */
    public String displayName() {
        List<String> changed = new ArrayList<>();
        for (BuildParameter p : template.buildParameters()) {
            Object value = parameters.get(p.name());
            if (value != null && !value.equals(p.defaultValue())) {
                changed.add(p.name() + "=" + value);
            }
        }
        changed.sort(null);
        return template.name() + "(" + String.join(",", changed) + ")";
    }
}
