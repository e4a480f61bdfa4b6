package io.kiln.agent.policy;

import io.kiln.agent.spec.AddressLiterals;
import io.kiln.agent.spec.Cidr;

import java.net.InetAddress;
import java.util.Comparator;

/** Key of the node's services map: a service's address, port (host order) and IP protocol number. */
public record ServiceKey(InetAddress vip, int port, int protocol) implements Comparable<ServiceKey> {
    private static final Comparator<ServiceKey> ORDER = Comparator.comparing(ServiceKey::vip, AddressLiterals.ORDER)
            .thenComparingInt(ServiceKey::port).thenComparingInt(ServiceKey::protocol);

    @Override
    public int compareTo(ServiceKey o) {
        return ORDER.compare(this, o);
    }

    @Override
    public String toString() {
        return AddressLiterals.format(vip) + ":" + port + "/" + protocol;
    }
}
