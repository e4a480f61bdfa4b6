package io.kiln.template;

import io.kiln.template.internal.DescriptorReader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Finds and reads templates: a descriptor {@code NAME.template.yaml} beside its source {@code NAME.bpf.c.ftl}. */
public final class Templates {
    private Templates() {
    }

    /**
     * Loads and validates a template. {@code folderOrDescriptor} is either the descriptor itself or
     * a folder holding exactly one {@code *.template.yaml} (or, among several, the one named after
     * the folder). Paths in the result are absolute.
     *
     * @throws DescriptorException when no descriptor can be chosen or it is not valid
     */
    public static TemplateDescriptor load(Path folderOrDescriptor) {
        Path path = folderOrDescriptor.toAbsolutePath().normalize();
        if (Files.isDirectory(path)) {
            path = chooseDescriptor(path);
        } else if (!Files.isRegularFile(path)) {
            throw new DescriptorException(path, 0, 0, "", "no such template folder or descriptor");
        }
        return DescriptorReader.read(path);
    }

    private static Path chooseDescriptor(Path folder) {
        List<Path> found;
        try (Stream<Path> files = Files.list(folder)) {
            found = files.filter(f -> f.getFileName().toString().endsWith(DescriptorReader.DESCRIPTOR_SUFFIX))
                    .filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new DescriptorException(folder, 0, 0, "", "cannot list the template folder: " + e, e);
        }
        if (found.size() == 1) {
            return found.get(0);
        }
        Path named = folder.resolve(folder.getFileName() + DescriptorReader.DESCRIPTOR_SUFFIX);
        if (found.contains(named)) {
            return named;
        }
        if (found.isEmpty()) {
            throw new DescriptorException(folder, 0, 0, "", "no *" + DescriptorReader.DESCRIPTOR_SUFFIX
                    + " descriptor in this folder");
        }
        throw new DescriptorException(folder, 0, 0, "", "several descriptors and none named "
                + named.getFileName() + ": " + String.join(", ", found.stream()
                .map(f -> f.getFileName().toString()).toList()) + "; pass the descriptor itself");
    }
}
