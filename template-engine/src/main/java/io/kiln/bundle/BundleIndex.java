package io.kiln.bundle;

import io.kiln.bundle.internal.IndexCodec;
import io.kiln.template.BuildParameters;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The index of a bundle, {@value #PATH}: every template with its declarations and its variants.
 * Templates are kept sorted by name and each template's variants in the order the build declared
 * them, so one set of inputs always gives the same bytes ({@link #toJson()}).
 */
public record BundleIndex(List<BundledTemplate> templates) {
    /** Where the index lies in a bundle (a jar or an exploded output folder). */
    public static final String PATH = "META-INF/kiln/index.json";
    /** Folder of the objects in a bundle; each is {@code OBJECTS + template + "/" + key + ".o"}. */
    public static final String OBJECTS = "META-INF/kiln/objects/";
    /** Version of the index format this code writes and the newest it reads. */
    public static final int FORMAT = 1;

    public BundleIndex {
        templates = templates.stream().sorted(Comparator.comparing(BundledTemplate::name)).toList();
        for (int i = 1; i < templates.size(); i++) {
            if (templates.get(i).name().equals(templates.get(i - 1).name())) {
                throw new IllegalArgumentException("template " + templates.get(i).name() + " is listed twice");
            }
        }
    }

    public Optional<BundledTemplate> template(String name) {
        return templates.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    /** The variant of template {@code name} with exactly these build parameters, if bundled. */
    public Optional<BundledVariant> variant(String name, BuildParameters parameters) {
        return template(name).flatMap(t -> t.variant(parameters));
    }

    /** The index as UTF-8 JSON, indented, with {@code \n} line ends; the same index always gives the same bytes. */
    public byte[] toJson() {
        return IndexCodec.write(this);
    }

    /**
     * Reads an index.
     *
     * @param source how errors name it (the bundle's URL or file)
     * @throws BundleException when it is not JSON, is of a newer format, or a field is missing or has
     *                         the wrong type (the message names the field)
     */
    public static BundleIndex fromJson(byte[] json, String source) {
        return IndexCodec.read(json, source);
    }
}
