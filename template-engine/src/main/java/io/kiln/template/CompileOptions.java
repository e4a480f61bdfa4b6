package io.kiln.template;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a template's descriptor says about its compile ({@code compile: { cpu: v3, flags: [...] }}):
 * the BPF CPU version ({@code -mcpu}) and extra clang flags from a short allowed list
 * ({@link io.kiln.template.internal.CompileFlags}). Both go on the clang command line after Kiln's own
 * flags and into the variant key, so a change compiles new objects.
 *
 * @param cpu   {@code v1} to {@code v4}, or empty for clang's default ({@code generic}, i.e. v1, in clang 14)
 * @param flags the extra flags, in the order written
 */
public record CompileOptions(Optional<String> cpu, List<String> flags) {
    /** No {@code compile:} section: clang's default CPU and no extra flags. */
    public static final CompileOptions DEFAULT = new CompileOptions(Optional.empty(), List.of());

    public CompileOptions {
        Objects.requireNonNull(cpu, "cpu");
        flags = List.copyOf(flags);
    }

    /** The clang flags these options add: {@code -mcpu=vN} first, then {@link #flags()}. */
    public List<String> clangFlags() {
        if (cpu.isEmpty()) {
            return flags;
        }
        return java.util.stream.Stream.concat(java.util.stream.Stream.of("-mcpu=" + cpu.get()), flags.stream())
                .toList();
    }
}
