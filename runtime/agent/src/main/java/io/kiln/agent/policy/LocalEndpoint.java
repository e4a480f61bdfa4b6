package io.kiln.agent.policy;

/**
 * Value of the node's endpoints map (keyed by an endpoint address): what local delivery needs.
 * The dataplane stores the interface's ifindex; the lead's wiring resolves {@code interfaceName}
 * (in {@code namespace}, null for the host's) to it.
 *
 * @param mac the endpoint's MAC, lower case with colons, or null when its spec has none
 */
public record LocalEndpoint(int endpointId, String interfaceName, String namespace, String mac) {
}
