package io.kiln.agent.spec;

import io.kiln.template.TemplateDescriptor;
import io.kiln.template.Templates;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The templates endpoints may name. The agent checks each endpoint's template, build parameters
 * and constants against it before anything is built, so a typo is a spec error at its line
 * rather than a failed regeneration. The lead's wiring implements it over bundles and template
 * roots; {@link #of} and {@link #scan} serve tests and the embedded default.
 */
public interface TemplateCatalog {

    Optional<TemplateDescriptor> find(String name);

    /** Every name {@link #find} knows, sorted (for "known: ..." in messages). */
    Collection<String> names();

    static TemplateCatalog of(Collection<TemplateDescriptor> templates) {
        SortedMap<String, TemplateDescriptor> byName = new TreeMap<>();
        for (TemplateDescriptor t : templates) {
            if (byName.put(t.name(), t) != null) {
                throw new IllegalArgumentException("two templates named " + t.name());
            }
        }
        return new TemplateCatalog() {
            @Override
            public Optional<TemplateDescriptor> find(String name) {
                return Optional.ofNullable(byName.get(name));
            }

            @Override
            public Collection<String> names() {
                return byName.keySet();
            }
        };
    }

    /**
     * Every template under {@code roots}: each root is a template folder itself, or holds template
     * folders one level down (as {@code bpf-templates/src/main/bpf} does).
     *
     * @throws io.kiln.template.DescriptorException when a descriptor found is not valid
     */
    static TemplateCatalog scan(Collection<Path> roots) {
        java.util.List<TemplateDescriptor> found = new java.util.ArrayList<>();
        for (Path root : roots) {
            if (hasDescriptor(root)) {
                found.add(Templates.load(root));
                continue;
            }
            try (Stream<Path> dirs = Files.list(root)) {
                for (Path d : dirs.filter(Files::isDirectory).filter(TemplateCatalog::hasDescriptor).sorted().toList()) {
                    found.add(Templates.load(d));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("list template root " + root, e);
            }
        }
        return of(found);
    }

    private static boolean hasDescriptor(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith(".template.yaml"));
        } catch (IOException e) {
            return false;
        }
    }
}
