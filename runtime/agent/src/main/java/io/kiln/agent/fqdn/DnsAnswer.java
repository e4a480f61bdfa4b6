package io.kiln.agent.fqdn;

import java.net.InetAddress;
import java.util.List;

/**
 * What one DNS answer teaches: the question's name and, for it and every name its CNAME chain
 * leads through, the A and AAAA addresses at the chain's end with the time they may be used (the
 * smallest TTL along the way). Records about names outside the chain are not learned: a resolver
 * answering for {@code api.example.test} cannot slip in an address for another name.
 *
 * @param question  the name asked for, lower case, without the trailing dot
 * @param rcode     the response code (0 NOERROR, 3 NXDOMAIN, ...)
 * @param truncated the TC bit: the client will ask again over TCP, whose answer is complete
 * @param chain     the question's name, then each CNAME target in order
 * @param learned   one entry per name of the chain and address
 */
public record DnsAnswer(String question, int rcode, boolean truncated, List<String> chain, List<Learned> learned) {
    public DnsAnswer {
        chain = List.copyOf(chain);
        learned = List.copyOf(learned);
    }

    /** A name's address and how long it may be trusted, in seconds, as the answer gave it. */
    public record Learned(String name, InetAddress address, long ttlSeconds) {
    }
}
