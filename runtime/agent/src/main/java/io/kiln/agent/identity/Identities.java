package io.kiln.agent.identity;

/**
 * The numbering of security identities, shared with the dataplane (its {@code ipcache.h}):
 * <pre>
 *   0                      ANY: never an identity; in a policy entry it means "any peer"
 *   1                      HOST: the node itself
 *   2                      WORLD: an address the ipcache does not know
 *   3 .. 255               reserved for later well-known peers (unused now)
 *   256 .. 16777215        label identities: one per distinct label set of an endpoint
 *   16777216 .. 33554431   CIDR identities: one per CIDR named in a policy rule (below 32505856),
 *                          one per peer class of DNS-learned addresses (from 32505856: the
 *                          toFQDNs selectors that learned an address and the rule CIDRs it lies
 *                          in; every address of a class shares its identity)
 * </pre>
 * The two allocated ranges never overlap, so an identity alone tells whether it stands for
 * labels or for addresses.
 */
public final class Identities {
    public static final int ANY = 0;
    public static final int HOST = 1;
    public static final int WORLD = 2;
    public static final int MIN_LABEL = 256;
    public static final int MAX_LABEL = (1 << 24) - 1;
    public static final int MIN_CIDR = 1 << 24;
    public static final int MAX_CIDR = (1 << 25) - 1;
    /** The top 1,048,576 CIDR identities are for classes of DNS-learned addresses. */
    public static final int MIN_FQDN = MAX_CIDR - (1 << 20) + 1;
    /** Service ids key the node's backends map (a u16 there); 0 is not a service. */
    public static final int MIN_SERVICE = 1;
    public static final int MAX_SERVICE = 0xffff;

    private Identities() {
    }

    public static boolean isLabelIdentity(int id) {
        return id >= MIN_LABEL && id <= MAX_LABEL;
    }

    public static boolean isCidrIdentity(int id) {
        return id >= MIN_CIDR && id <= MAX_CIDR;
    }
}
