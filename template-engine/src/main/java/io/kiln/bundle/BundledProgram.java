package io.kiln.bundle;

import io.kiln.template.Hook;

/**
 * A program of a bundled variant: its C function name, its hook from the descriptor, its ELF
 * section and the number of instruction slots the object holds for it.
 */
public record BundledProgram(String name, Hook hook, String section, int instructions) {
}
