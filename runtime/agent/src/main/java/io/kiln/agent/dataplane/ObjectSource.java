package io.kiln.agent.dataplane;

import io.kiln.runtime.TemplateObject;
import io.kiln.template.BuildParameters;
import io.kiln.template.TemplateDescriptor;

import java.util.Optional;

/**
 * One place objects come from: a bundle on the class path, the object store, clang. The agent asks
 * its sources in order ({@link ObjectSources}) and takes the first object it gets.
 *
 * <p>The seam for bundles: {@code io.kiln.bundle} implements this over {@code Bundle.onClassPath}
 * ({@code index().variant(template.name(), build)} → {@code TemplateObject.of(template, variant.key().hex(),
 * bundle.object(variant))}) and is put first with {@link ObjectSources.Builder#bundles}.
 */
public interface ObjectSource {

    /**
     * The object of this variant, or empty when this source does not have it.
     *
     * @throws io.kiln.KilnException when the source should have it but cannot give it (a compile error
     *                               with the template's file:line, a damaged bundle); later sources are not asked
     */
    Optional<TemplateObject> find(TemplateDescriptor template, BuildParameters build);

    /** How messages and metrics name it: {@code bundle}, {@code store}, {@code clang}. */
    String name();

    /** A source that has nothing (no bundles yet). */
    static ObjectSource none(String name) {
        return new ObjectSource() {
            @Override
            public Optional<TemplateObject> find(TemplateDescriptor template, BuildParameters build) {
                return Optional.empty();
            }

            @Override
            public String name() {
                return name;
            }
        };
    }
}
