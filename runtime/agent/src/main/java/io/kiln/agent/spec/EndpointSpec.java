package io.kiln.agent.spec;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One endpoint as a source describes it.
 *
 * @param id            1..65535; names its pins and state, unique on the node
 * @param interfaceName the host side of the endpoint's veth, at most 15 characters
 * @param template      the template its programs are built from
 * @param build         build parameters as written (checked against the template's declarations later)
 * @param constants     endpoint constants as written, beyond those the agent derives (see {@link #DERIVED_CONSTANTS})
 * @param addresses     the endpoint's own addresses
 * @param mac           the endpoint's MAC inside its namespace, lower case, or null when the spec has none
 * @param labels        decide the endpoint's security identity
 * @param identity      an identity the spec pins for its labels, or null to have one allocated
 * @param namespace     the network namespace (an {@code ip netns} name) holding {@code interfaceName}, the host
 *                      side of the veth, or null for the node's own; passed through to the dataplane (tests and
 *                      the demo put the host sides in a namespace of their own)
 * @param chain         templates whose programs run before the dataplane's on the endpoint's hooks, in order
 * @param origin        where the spec came from, for error messages; not part of what the endpoint is
 */
public record EndpointSpec(int id, String interfaceName, String template, SortedMap<String, Object> build,
                           SortedMap<String, Object> constants, EndpointAddresses addresses, String mac, Labels labels,
                           Integer identity, String namespace, List<ChainEntry> chain,
                           Origin origin) implements Spec {
    public static final int MAX_ID = 0xffff;
    public static final int MAX_INTERFACE_LENGTH = 15;
    /** Templates in one endpoint's chain: the runtime's {@code PolicyChain.MAX_LENGTH}. */
    public static final int MAX_CHAIN = 8;

    /**
     * Constants the agent sets from the spec's own fields whenever the template declares them; a
     * spec may not set them under {@code constants}. Constant name to the field it comes from.
     */
    public static final Map<String, String> DERIVED_CONSTANTS = Collections.unmodifiableMap(new LinkedHashMap<>(Map.of(
            "ENDPOINT_ID", "id", "IDENTITY", "identity (from labels)", "ENDPOINT_IPV4", "addresses.ipv4",
            "ENDPOINT_IPV6", "addresses.ipv6", "ENDPOINT_MAC", "mac")));

    public EndpointSpec {
        if (id < 1 || id > MAX_ID) {
            throw new IllegalArgumentException("endpoint id " + id + " is not in 1.." + MAX_ID);
        }
        Objects.requireNonNull(interfaceName, "interfaceName");
        Objects.requireNonNull(template, "template");
        build = Collections.unmodifiableSortedMap(new TreeMap<>(build));
        constants = Collections.unmodifiableSortedMap(new TreeMap<>(constants));
        Objects.requireNonNull(addresses, "addresses");
        Objects.requireNonNull(labels, "labels");
        chain = List.copyOf(chain);
        Objects.requireNonNull(origin, "origin");
    }

    public Optional<Integer> pinnedIdentity() {
        return Optional.ofNullable(identity);
    }

    /** The same spec from another origin (a source that re-labels what it read). */
    public EndpointSpec withOrigin(Origin o) {
        return new EndpointSpec(id, interfaceName, template, build, constants, addresses, mac, labels, identity,
                namespace, chain, o);
    }

    /** Equal in every field but the origin: the same endpoint, perhaps read from an edited file. */
    public boolean sameAs(EndpointSpec o) {
        return o != null && withOrigin(o.origin).equals(o);
    }

    /** {@code endpoint 12}: the prefix of every message about it. */
    public String label() {
        return "endpoint " + id;
    }

    @Override
    public SpecKind kind() {
        return SpecKind.ENDPOINT;
    }

    @Override
    public String key() {
        return Integer.toString(id);
    }
}
