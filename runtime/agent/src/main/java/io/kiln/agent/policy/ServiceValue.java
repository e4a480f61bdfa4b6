package io.kiln.agent.policy;

/** Value of the services map: the service's id (keys its backends; 1..65535) and how many backends it has. */
public record ServiceValue(int serviceId, int backendCount) {
}
