package io.kiln.agent.spec;

/** An endpoint, policy or service spec. */
public sealed interface Spec permits EndpointSpec, PolicySpec, ServiceSpec {

    SpecKind kind();

    /** What names it among its kind: the endpoint id as text, or the policy's or service's name. */
    String key();

    Origin origin();
}
