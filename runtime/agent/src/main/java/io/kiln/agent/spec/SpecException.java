package io.kiln.agent.spec;

import io.kiln.yaml.LocatedException;

/**
 * A spec (endpoint, policy, service) is not valid. The message has the form
 * {@code SOURCE:LINE:COLUMN: FIELD: what is wrong}, like a compiler diagnostic; SOURCE is a file
 * path, {@code api} or a Kubernetes object ({@code pod default/web}); line and column are left out
 * where unknown (0) and FIELD is a dotted path such as {@code ingress[0].toPorts[1].port}, left
 * out when the error concerns the whole document.
 */
public class SpecException extends LocatedException {
    private static final long serialVersionUID = 1L;

    private final String source;

    public SpecException(String source, int line, int column, String field, String reason) {
        this(source, line, column, field, reason, null);
    }

    public SpecException(String source, int line, int column, String field, String reason, Throwable cause) {
        super(source, line, column, field, reason, cause);
        this.source = source;
    }

    /** The file, {@code api}, or the Kubernetes object the spec came from. */
    public String source() {
        return source;
    }
}
