package io.kiln.bundle;

import io.kiln.template.ConstantType;

/** An endpoint constant of a bundled variant: its declared type and where it lies in {@code .rodata}. */
public record BundledConstant(String name, ConstantType type, int offset, int size) {
}
