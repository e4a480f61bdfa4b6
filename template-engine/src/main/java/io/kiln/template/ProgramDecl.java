package io.kiln.template;

/** A BPF program the template defines: the C function name and its hook. */
public record ProgramDecl(String name, Hook hook) {
}
