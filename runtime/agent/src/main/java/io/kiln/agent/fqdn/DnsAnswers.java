package io.kiln.agent.fqdn;

import io.kiln.agent.spec.FqdnSelector;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Reads a DNS answer from its wire bytes (as a UDP payload, or a TCP message without its length
 * prefix) with dnsjava, and follows the question's CNAME chain to its addresses. Every malformed
 * message (a compression pointer past the end or in a loop, lengths past the end, counts that lie)
 * is a {@link DnsAnswerException} with a short reason; none stalls: the message is at most 64 KiB
 * and the chain at most {@link #MAX_CHAIN} names.
 */
public final class DnsAnswers {
    /** The largest DNS message (a TCP message's 16-bit length). */
    public static final int MAX_BYTES = 65_535;
    /** CNAMEs followed from the question; resolvers stop at about this depth too. */
    public static final int MAX_CHAIN = 16;

    private DnsAnswers() {
    }

    public static DnsAnswer parse(byte[] wire) throws DnsAnswerException {
        if (wire.length > MAX_BYTES) {
            throw new DnsAnswerException("a DNS message of " + wire.length + " bytes; at most " + MAX_BYTES);
        }
        if (wire.length < 12) {
            throw new DnsAnswerException("a DNS message of " + wire.length + " bytes, shorter than its 12-byte header");
        }
        Message m;
        try {
            m = new Message(wire);
        } catch (IOException | RuntimeException e) {
            throw new DnsAnswerException("malformed DNS message: " + reason(e), e);
        }
        if (!m.getHeader().getFlag(Flags.QR)) {
            throw new DnsAnswerException("a DNS query, not an answer (QR bit clear)");
        }
        if (m.getHeader().getOpcode() != Opcode.QUERY) {
            throw new DnsAnswerException("DNS opcode " + Opcode.string(m.getHeader().getOpcode()) + ", not QUERY");
        }
        List<Record> questions = m.getSection(Section.QUESTION);
        if (questions.size() != 1) {
            throw new DnsAnswerException("a DNS answer with " + questions.size() + " questions; expected 1");
        }
        String question = name(questions.get(0).getName().toString());

        Map<String, List<Record>> byOwner = new HashMap<>();
        for (Record r : m.getSection(Section.ANSWER)) {
            byOwner.computeIfAbsent(name(r.getName().toString()), k -> new ArrayList<>()).add(r);
        }
        LinkedHashSet<String> chain = new LinkedHashSet<>();
        chain.add(question);
        String current = question;
        long ttl = Long.MAX_VALUE;
        while (chain.size() <= MAX_CHAIN) {
            CNAMERecord next = null;
            for (Record r : byOwner.getOrDefault(current, List.of())) {
                if (r instanceof CNAMERecord c) {
                    next = c;
                    break;
                }
            }
            if (next == null) {
                break;
            }
            String target = name(next.getTarget().toString());
            if (!chain.add(target)) {
                throw new DnsAnswerException("a CNAME loop: " + String.join(" -> ", chain) + " -> " + target);
            }
            ttl = Math.min(ttl, next.getTTL());
            current = target;
        }
        if (chain.size() > MAX_CHAIN) {
            throw new DnsAnswerException("a CNAME chain longer than " + MAX_CHAIN + " names from " + question);
        }
        List<DnsAnswer.Learned> learned = new ArrayList<>();
        for (Record r : byOwner.getOrDefault(current, List.of())) {
            InetAddress a = r.getType() == Type.A ? ((ARecord) r).getAddress()
                    : r.getType() == Type.AAAA ? ((AAAARecord) r).getAddress() : null;
            if (a == null) {
                continue;
            }
            try {
                a = InetAddress.getByAddress(a.getAddress()); // the bare address: no name rides along
            } catch (java.net.UnknownHostException e) {
                throw new AssertionError(e); // 4 or 16 bytes always make an address
            }
            long t = Math.min(ttl, r.getTTL());
            for (String n : chain) {
                learned.add(new DnsAnswer.Learned(n, a, t));
            }
        }
        return new DnsAnswer(question, m.getRcode(), m.getHeader().getFlag(Flags.TC), List.copyOf(chain), learned);
    }

    private static String name(String dnsjavaName) {
        return FqdnSelector.normalize(dnsjavaName);
    }

    private static String reason(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        m = m.replaceAll("\\p{Cntrl}", "?");
        return m.length() > 200 ? m.substring(0, 200) + "..." : m;
    }
}
