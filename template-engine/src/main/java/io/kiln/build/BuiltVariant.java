package io.kiln.build;

import io.kiln.cache.CacheResult;
import io.kiln.object.ObjectInfo;
import io.kiln.template.BuildParameters;
import io.kiln.template.TemplateDescriptor;

/**
 * One variant (a template plus one set of build parameters) turned into a checked object:
 * where it came from (cache outcome), its key and bytes, and what the object declares.
 */
public record BuiltVariant(TemplateDescriptor template, BuildParameters parameters, CacheResult result,
                           ObjectInfo info) {

    /** {@code hello(dropEnabled=true,slots=4)}: how messages name a variant. */
    public String displayName() {
        return template.name() + "(" + parameters.canonical() + ")";
    }
}
