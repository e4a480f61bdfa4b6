package io.kiln.lab;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A veth pair between two test namespaces, both ends up. Deleting either namespace deletes the
 * pair; {@link #close()} deletes it earlier.
 */
public final class VethPair implements AutoCloseable {
    private static final Pattern IFNAME = Pattern.compile("[a-zA-Z0-9_.-]{1,15}");
    private static final Pattern IPV4_CIDR = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})/(\\d{1,2})");

    private final End a;
    private final End b;

    private VethPair(End a, End b) {
        this.a = a;
        this.b = b;
    }

    /** One end of the pair. */
    public record End(NetworkNamespace namespace, String name) {
        public int ifindex() {
            return namespace.ifindex(name);
        }

        /** Adds an IPv4 address; only 198.18.0.0/15 (the benchmarking range) is allowed in tests. */
        public End addAddress(String cidr) {
            checkTestAddress(cidr);
            namespace.ip("addr", "add", cidr, "dev", name);
            return this;
        }

        public End up() {
            namespace.ip("link", "set", name, "up");
            return this;
        }
    }

    /** Creates {@code nameA} in {@code a} paired with {@code nameB} in {@code b}, both up. */
    public static VethPair create(NetworkNamespace a, String nameA, NetworkNamespace b, String nameB) {
        for (String n : new String[]{nameA, nameB}) {
            if (n == null || !IFNAME.matcher(n).matches()) {
                throw new IllegalArgumentException("interface name '" + n + "': 1 to 15 of letters, digits, '_.-'");
            }
        }
        a.ip("link", "add", nameA, "type", "veth", "peer", "name", nameB, "netns", b.name());
        VethPair pair = new VethPair(new End(a, nameA), new End(b, nameB));
        try {
            pair.a.up();
            pair.b.up();
        } catch (RuntimeException e) {
            pair.close();
            throw e;
        }
        return pair;
    }

    public End a() {
        return a;
    }

    public End b() {
        return b;
    }

    /** Fails unless {@code cidr} is an IPv4 address with prefix inside 198.18.0.0/15. */
    public static void checkTestAddress(String cidr) {
        Matcher m = IPV4_CIDR.matcher(cidr == null ? "" : cidr);
        if (!m.matches()) {
            throw new IllegalArgumentException("address '" + cidr + "': expected IPv4 a.b.c.d/len");
        }
        int o1 = Integer.parseInt(m.group(1));
        int o2 = Integer.parseInt(m.group(2));
        int o3 = Integer.parseInt(m.group(3));
        int o4 = Integer.parseInt(m.group(4));
        int len = Integer.parseInt(m.group(5));
        if (o1 > 255 || o2 > 255 || o3 > 255 || o4 > 255 || len > 32) {
            throw new IllegalArgumentException("address '" + cidr + "': not an IPv4 address");
        }
        if (o1 != 198 || (o2 != 18 && o2 != 19) || len < 15) {
            throw new IllegalArgumentException("address '" + cidr
                    + "': tests use only 198.18.0.0/15 (RFC 2544 benchmarking range), never routable addresses");
        }
    }

    /** Deletes the pair if its namespace still exists. Idempotent. */
    @Override
    public void close() {
        if (a.namespace().exists()) {
            Command.run(java.util.List.of("ip", "-n", a.namespace().name(), "link", "del", a.name()));
        }
    }

    @Override
    public String toString() {
        return a.namespace().name() + "/" + a.name() + " <-> " + b.namespace().name() + "/" + b.name();
    }
}
