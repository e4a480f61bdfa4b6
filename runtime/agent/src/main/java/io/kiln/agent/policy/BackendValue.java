package io.kiln.agent.policy;

import java.net.InetAddress;

/** Value of the backends map: where the slot's traffic goes (port in host order). */
public record BackendValue(InetAddress address, int port) {
}
