package io.kiln.template;

/**
 * The C source of one variant, as rendered from its template. {@code fileName} is the name the
 * compiler sees for it (e.g. {@code endpoint.bpf.c}); the text carries {@code #line} directives
 * naming template files relative to {@link TemplateDescriptor#root()}, so diagnostics and debug
 * info point at the template, never at a path that depends on the checkout.
 */
public record RenderedSource(TemplateDescriptor template, BuildParameters parameters, String fileName,
                             String text) {
}
