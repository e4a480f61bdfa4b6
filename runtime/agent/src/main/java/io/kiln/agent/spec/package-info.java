/**
 * Endpoint, policy and service specs: their records, the reader that reports errors with source,
 * line and field, the template check ({@link io.kiln.agent.spec.EndpointValidator}), and the
 * immutable {@link io.kiln.agent.spec.DesiredState}.
 */
package io.kiln.agent.spec;
