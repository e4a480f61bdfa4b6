package io.kiln.maven.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Decides, from the last build's state, whether a variant is up to date, and if not, says why in
 * words a user recognizes: {@code include/kiln/ct.h changed}. Checks run cheapest first and the first
 * reason found is the one reported. Reads files only (digests, memoized); never runs clang.
 */
public final class Staleness {
    private final BuildState previous;
    private final String plugin;
    private final String clangSetting;
    private final FileDigests digests;
    private final Path outputDir;
    private final PathNames names;
    private String compilerChange;
    private boolean compilerChecked;

    public Staleness(BuildState previous, String plugin, String clangSetting, FileDigests digests, Path outputDir,
                     PathNames names) {
        this.previous = previous;
        this.plugin = plugin;
        this.clangSetting = clangSetting;
        this.digests = digests;
        this.outputDir = outputDir;
        this.names = names;
    }

    /** Why {@code v} must be built, or empty when its object in the output is current. */
    public Optional<String> reason(PlannedVariant v, List<Path> inputs) {
        Optional<BuildState.VariantState> last = previous.variant(v.displayName());
        if (last.isEmpty()) {
            return Optional.of(previous.variants().isEmpty() ? "not built before" : "new variant");
        }
        if (!plugin.equals(previous.plugin())) {
            return Optional.of("the Kiln plugin changed (" + previous.plugin() + " -> " + plugin + ")");
        }
        String compiler = compilerChange();
        if (compiler != null) {
            return Optional.of(compiler);
        }
        List<String> changes = new ArrayList<>();
        Map<String, String> recordedInputs = last.get().inputs();
        for (Path input : inputs) {
            String recorded = recordedInputs.get(input.toString());
            if (recorded == null) {
                changes.add(names.display(input) + " added");
            } else if (!recorded.equals(digests.of(input))) {
                changes.add(describe(input));
            }
        }
        for (String recorded : recordedInputs.keySet()) {
            if (!inputs.contains(Path.of(recorded))) {
                changes.add(names.display(Path.of(recorded)) + " removed");
            }
        }
        if (changes.isEmpty()) {
            last.get().headers().forEach((header, digest) -> {
                if (!digest.equals(digests.of(Path.of(header)))) {
                    changes.add(describe(Path.of(header)));
                } else {
                    shadow(v.template().includeDirs(), Path.of(header)).ifPresent(changes::add);
                }
            });
        }
        if (!changes.isEmpty()) {
            return Optional.of(changes.get(0) + (changes.size() > 1 ? " (and " + (changes.size() - 1) + " more)" : ""));
        }
        Path object = outputDir.resolve(last.get().object());
        if (!last.get().sha256().equals(digests.of(object))) {
            return Optional.of("its object " + names.display(object) + " is missing or was changed");
        }
        return Optional.empty();
    }

    /**
     * A header now found in an include folder searched before the one it was read from: clang would
     * include the new file instead. (Headers found relative to the including file are not checked.)
     */
    private Optional<String> shadow(List<Path> includeDirs, Path header) {
        for (int k = 0; k < includeDirs.size(); k++) {
            Path dir = includeDirs.get(k).toAbsolutePath().normalize();
            if (header.startsWith(dir)) {
                Path name = dir.relativize(header);
                for (int j = 0; j < k; j++) {
                    Path earlier = includeDirs.get(j).toAbsolutePath().normalize().resolve(name);
                    if (java.nio.file.Files.exists(earlier)) {
                        return Optional.of(names.display(earlier) + " added (it comes before " + names.display(header)
                                + ")");
                    }
                }
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    private String describe(Path file) {
        return names.display(file) + (FileDigests.ABSENT.equals(digests.of(file)) ? " removed" : " changed");
    }

    private String compilerChange() {
        if (!compilerChecked) {
            compilerChange = previous.compiler() == null ? "no compiler recorded" : previous.compiler().change(clangSetting);
            compilerChecked = true;
        }
        return compilerChange;
    }
}
