package io.kiln.agent.fqdn;

import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/** Builds DNS answers on the wire with dnsjava's own writer (which compresses names), for tests. */
final class DnsWire {
    private final Message m = new Message();
    private final List<Record> answers = new ArrayList<>();

    DnsWire(String question, int type) {
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setFlag(Flags.RD);
        m.getHeader().setFlag(Flags.RA);
        m.addRecord(Record.newRecord(name(question), type, DClass.IN), Section.QUESTION);
    }

    static Name name(String n) {
        try {
            return Name.fromString(n.endsWith(".") ? n : n + ".");
        } catch (Exception e) {
            throw new IllegalArgumentException(n, e);
        }
    }

    DnsWire a(String owner, String address, long ttl) throws Exception {
        answers.add(new ARecord(name(owner), DClass.IN, ttl, InetAddress.getByName(address)));
        return this;
    }

    DnsWire aaaa(String owner, String address, long ttl) throws Exception {
        answers.add(new AAAARecord(name(owner), DClass.IN, ttl, InetAddress.getByName(address)));
        return this;
    }

    DnsWire cname(String owner, String target, long ttl) {
        answers.add(new CNAMERecord(name(owner), DClass.IN, ttl, name(target)));
        return this;
    }

    DnsWire edns(int payload) {
        m.addRecord(new OPTRecord(payload, 0, 0), Section.ADDITIONAL);
        return this;
    }

    DnsWire nxdomain() {
        m.getHeader().setRcode(Rcode.NXDOMAIN);
        return this;
    }

    DnsWire truncated() {
        m.getHeader().setFlag(Flags.TC);
        return this;
    }

    byte[] wire() {
        answers.forEach(r -> m.addRecord(r, Section.ANSWER));
        answers.clear();
        return m.toWire();
    }

    static int typeA() {
        return Type.A;
    }
}
