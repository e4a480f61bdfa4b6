package io.kiln.agent.k8s;

import io.kiln.KilnException;

/** The Kubernetes source cannot watch what it needs (API server unreachable, CRDs not installed, no permission). */
public class KubernetesSourceException extends KilnException {
    private static final long serialVersionUID = 1L;

    public KubernetesSourceException(String message, Throwable cause) {
        super(message, cause);
    }
}
