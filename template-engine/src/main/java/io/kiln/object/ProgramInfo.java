package io.kiln.object;

/**
 * An entry-point program of an object: a global function in an executable section other than
 * {@code .text} (functions in {@code .text} are sub-programs, as libbpf treats them).
 *
 * @param name         the function's name, e.g. {@code from_endpoint}
 * @param section      the ELF section, i.e. the {@code SEC("...")} string, e.g. {@code tc}, {@code xdp}, {@code tcx/ingress}
 * @param instructions number of 8-byte BPF instruction slots (a 64-bit immediate load takes two)
 */
public record ProgramInfo(String name, String section, int instructions) {
}
