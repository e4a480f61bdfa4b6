package io.kiln.maven.internal;

import io.kiln.template.BuildParameters;
import io.kiln.template.TemplateDescriptor;

/** One variant a build produces: a template and a complete set of build parameters. */
public record PlannedVariant(TemplateDescriptor template, BuildParameters parameters) {
    /** {@code hello(counterSlots=16,dropEnabled=true)}, as every message names a variant. */
    public String displayName() {
        return template.name() + "(" + parameters.canonical() + ")";
    }
}
