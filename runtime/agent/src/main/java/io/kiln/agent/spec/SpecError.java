package io.kiln.agent.spec;

/**
 * A spec that could not be used, as status reports show it.
 *
 * @param kind         what kind of spec, or null when the kind is unknown (a file outside the
 *                     kind folders) or the error is the node's (the identity file)
 * @param key          the endpoint id or name, or null when the spec could not be read far enough
 * @param source       the file, {@code api} or Kubernetes object
 * @param line         1-based, 0 when unknown
 * @param field        dotted path of the offending field, empty for the whole spec
 * @param message      the whole message, with source, line and field
 * @param previousKept true when an earlier good version of the same spec is still in effect
 */
public record SpecError(SpecKind kind, String key, String source, int line, String field, String message,
                        boolean previousKept) {

    public static SpecError of(SpecKind kind, String key, SpecException e) {
        return new SpecError(kind, key, e.source(), e.line(), e.field(), e.getMessage(), false);
    }

    public SpecError withPreviousKept(boolean kept) {
        return new SpecError(kind, key, source, line, field, message, kept);
    }
}
