package io.kiln.bindings;

/**
 * One generated Java source file.
 *
 * @param className     the fully qualified name of its top-level class, e.g. {@code com.example.bpf.HelloBpf}
 * @param relativePath  where it goes under a source root, e.g. {@code com/example/bpf/HelloBpf.java}
 * @param text          its content
 */
public record GeneratedSource(String className, String relativePath, String text) {
}
