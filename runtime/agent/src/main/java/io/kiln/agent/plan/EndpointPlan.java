package io.kiln.agent.plan;

import io.kiln.agent.policy.EndpointPolicy;
import io.kiln.agent.spec.EndpointAddresses;
import io.kiln.agent.spec.Labels;
import io.kiln.template.BuildParameters;
import io.kiln.template.TemplateDescriptor;

import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Everything the dataplane needs to bring one endpoint to its wanted state: which template and
 * variant, which constants, and the complete content of its policy map.
 *
 * @param id            the endpoint's id (its pins: {@code /sys/fs/bpf/kiln/endpoints/<id>/})
 * @param interfaceName the host side of its veth
 * @param namespace     the network namespace of {@code interfaceName}, or null for the host's
 * @param template      the template, as the catalog gave it
 * @param build         the complete build parameters (defaults filled in): the variant
 * @param constants     constant name to value, checked against the template: the spec's own plus those
 *                      derived from its fields (ENDPOINT_ID, IDENTITY, ENDPOINT_IPV4, ENDPOINT_IPV6,
 *                      ENDPOINT_MAC) when the template declares them. Values are Long, Boolean or
 *                      String (addresses as text), ready for {@code io.kiln.template.Constants#encodeAll};
 *                      interface-derived ones (ENDPOINT_IFINDEX, NODE_MAC) are the dataplane's to add
 * @param identity      its security identity
 * @param labels        its labels
 * @param addresses     its addresses
 * @param mac           its MAC, or null
 * @param policy        the complete content its policy map must have
 * @param chain         the templates that run before the dataplane on its hooks, in order
 */
public record EndpointPlan(int id, String interfaceName, String namespace, TemplateDescriptor template,
                           BuildParameters build, SortedMap<String, Object> constants, int identity, Labels labels,
                           EndpointAddresses addresses, String mac, EndpointPolicy policy, List<ChainPlan> chain) {
    public EndpointPlan {
        Objects.requireNonNull(interfaceName, "interfaceName");
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(build, "build");
        constants = Collections.unmodifiableSortedMap(new TreeMap<>(constants));
        Objects.requireNonNull(labels, "labels");
        Objects.requireNonNull(addresses, "addresses");
        Objects.requireNonNull(policy, "policy");
        chain = List.copyOf(chain);
    }

    /** A plan without a chain. */
    public EndpointPlan(int id, String interfaceName, String namespace, TemplateDescriptor template,
                        BuildParameters build, SortedMap<String, Object> constants, int identity, Labels labels,
                        EndpointAddresses addresses, String mac, EndpointPolicy policy) {
        this(id, interfaceName, namespace, template, build, constants, identity, labels, addresses, mac, policy,
                List.of());
    }

    public PlanFingerprint fingerprint() {
        String attachment = namespace == null ? interfaceName : interfaceName + "@" + namespace;
        String c = constants.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(";"));
        if (!chain.isEmpty()) {
            // a change of the chain is a constants change: the dataplane is specialized again, the chain applied
            c += "|chain=" + chain.stream().map(ChainPlan::canonical).collect(Collectors.joining(","));
        }
        return new PlanFingerprint(attachment, template.name(), build.canonical(), c, TemplateSources.digest(template));
    }

    public EndpointPlan withPolicy(EndpointPolicy p) {
        return new EndpointPlan(id, interfaceName, namespace, template, build, constants, identity, labels, addresses,
                mac, p, chain);
    }

    /** {@code endpoint 12}: the prefix of every message about it. */
    public String label() {
        return "endpoint " + id;
    }
}
