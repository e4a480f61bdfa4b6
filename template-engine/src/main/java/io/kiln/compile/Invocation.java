package io.kiln.compile;

import java.nio.file.Path;
import java.util.List;

/**
 * How clang is invoked for one rendered source, apart from the per-run work folder and file names.
 *
 * <p>{@code flags} are the real flags, with the absolute include folders of this checkout.
 * {@code keyFlags} are the same flags with every template include folder replaced by its label (its
 * path relative to the template root, {@code .} for the root itself): the form that enters variant
 * keys, equal for two checkouts of the same templates. The labels are also what the prefix maps
 * write into the object's debug info, so the object bytes do not depend on the checkout either.
 *
 * <p>{@code searchDirs} are the folders searched for {@code #include <...>}, in clang's order:
 * template include folders, the multiarch folder, then the system folders (clang's own resource
 * folder, searched between the last two, is versioned with clang and left out).
 */
public record Invocation(List<String> flags, List<String> keyFlags, List<SearchDir> searchDirs) {
    public Invocation {
        flags = List.copyOf(flags);
        keyFlags = List.copyOf(keyFlags);
        searchDirs = List.copyOf(searchDirs);
    }

    /** A header search folder and the stable name it has in keys and debug info. */
    public record SearchDir(Path dir, String label) {
    }

    /**
     * The stable name of a header in variant keys: {@code label/relative/name.h} for a header under
     * a search folder (the first that contains it), else its absolute path.
     */
    public String headerName(Path header) {
        Path normalized = header.toAbsolutePath().normalize();
        for (SearchDir search : searchDirs) {
            if (normalized.startsWith(search.dir())) {
                return search.label() + "/" + search.dir().relativize(normalized);
            }
        }
        return normalized.toString();
    }
}
