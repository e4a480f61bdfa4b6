package io.kiln.agent.spec;

import java.util.List;
import java.util.Objects;

/**
 * A policy: the endpoints it applies to and what they may send and receive. Semantics (those of
 * Kubernetes NetworkPolicy with Cilium's deny rules):
 * <ul>
 * <li>An endpoint selected by no policy with {@code ingress} (resp. {@code egress}) allows every
 *     packet in that direction. Once any selecting policy has the field, even an empty list,
 *     the endpoint denies in that direction whatever no rule allows.</li>
 * <li>{@code ingressDeny}/{@code egressDeny} deny what they match whatever any rule allows; on
 *     their own they do not switch an endpoint to default deny.</li>
 * </ul>
 *
 * @param name      unique among policies; a Kubernetes policy is named {@code namespace/name}
 * @param namespace for a Kubernetes policy, its namespace: it then selects only endpoints of that
 *                  namespace, and its peer selectors too unless they name a namespace; null otherwise
 * @param ingress   null when the policy says nothing about ingress (not the same as an empty list)
 * @param egress    null when the policy says nothing about egress
 */
public record PolicySpec(String name, String namespace, LabelSelector endpointSelector, List<PolicyRule> ingress,
                         List<PolicyRule> egress, List<PolicyRule> ingressDeny, List<PolicyRule> egressDeny,
                         Origin origin) implements Spec {
    public PolicySpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(endpointSelector, "endpointSelector");
        ingress = ingress == null ? null : List.copyOf(ingress);
        egress = egress == null ? null : List.copyOf(egress);
        ingressDeny = List.copyOf(ingressDeny);
        egressDeny = List.copyOf(egressDeny);
        Objects.requireNonNull(origin, "origin");
    }

    public PolicySpec withOrigin(Origin o) {
        return new PolicySpec(name, namespace, endpointSelector, ingress, egress, ingressDeny, egressDeny, o);
    }

    @Override
    public SpecKind kind() {
        return SpecKind.POLICY;
    }

    @Override
    public String key() {
        return name;
    }
}
