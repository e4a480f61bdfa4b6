package io.kiln.agent.dataplane;

import io.kiln.bundle.Bundle;
import io.kiln.bundle.BundledTemplate;
import io.kiln.bundle.BundledVariant;
import io.kiln.runtime.TemplateObject;
import io.kiln.template.BuildParameters;
import io.kiln.template.TemplateDescriptor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Objects from bundles (jars or folders built by the Kiln Maven plugin): what lets a node without
 * clang run every variant a bundle holds. A bundled template whose declarations (programs,
 * constants, maps) differ from the template the agent knows is not used: its objects were built
 * from other sources, so the next source (store, clang) builds the agent's own.
 */
public final class BundleObjectSource implements ObjectSource {
    private final List<Bundle> bundles;

    private BundleObjectSource(List<Bundle> bundles) {
        this.bundles = List.copyOf(bundles);
    }

    /** The bundles on this class loader's class path plus the given jars or folders, in that order. */
    public static BundleObjectSource of(ClassLoader loader, List<Path> extra) {
        List<Bundle> all = new ArrayList<>(Bundle.onClassPath(loader));
        for (Path p : extra) {
            all.add(Bundle.open(p));
        }
        return new BundleObjectSource(all);
    }

    public static BundleObjectSource of(List<Bundle> bundles) {
        return new BundleObjectSource(bundles);
    }

    public List<Bundle> bundles() {
        return bundles;
    }

    @Override
    public Optional<TemplateObject> find(TemplateDescriptor template, BuildParameters build) {
        for (Bundle bundle : bundles) {
            Optional<BundledTemplate> bundled = bundle.index().template(template.name());
            if (bundled.isEmpty() || !sameDeclarations(bundled.get(), template)) {
                continue;
            }
            Optional<BundledVariant> variant = bundled.get().variant(build);
            if (variant.isPresent()) {
                return Optional.of(TemplateObject.of(template, variant.get().key().toString(),
                        bundle.object(variant.get())));
            }
        }
        return Optional.empty();
    }

    private static boolean sameDeclarations(BundledTemplate bundled, TemplateDescriptor template) {
        return bundled.programs().equals(template.programs()) && bundled.constants().equals(template.constants())
                && bundled.maps().equals(template.maps());
    }

    @Override
    public String name() {
        return "bundle";
    }
}
