package io.kiln.bpf.internal;

import io.kiln.bpf.Errno;
import com.sun.jna.Native;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Lists the tc filters under one direction of an interface's clsact qdisc with an rtnetlink dump
 * ({@code RTM_GETTFILTER}, as {@code tc filter show} does). libbpf can only query a filter whose
 * handle and priority are already known, and before deleting a qdisc Kiln must know whether
 * anyone else's filters hang off it.
 */
public final class TcDump {
    private static final int AF_NETLINK = 16;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int NETLINK_ROUTE = 0;
    private static final int SOL_NETLINK = 270;
    private static final int NETLINK_EXT_ACK = 11;
    private static final int RTM_NEWTFILTER = 44;
    private static final int RTM_GETTFILTER = 46;
    private static final int NLMSG_ERROR = 2;
    private static final int NLMSG_DONE = 3;
    private static final int NLM_F_REQUEST = 1;
    private static final int NLM_F_DUMP = 0x300;
    private static final int NLM_F_MULTI = 2;
    private static final int TCA_KIND = 1;
    private static final int NLMSG_HDRLEN = 16;
    private static final int TCMSG_LEN = 20;
    /** A dump of a few filters is one or two messages; this bounds a misbehaving kernel. */
    private static final int MAX_READS = 10_000;

    /** One filter: its handle, priority ("pref") and classifier kind ("bpf", "u32", ...). */
    public record Entry(int handle, int priority, String kind) {
    }

    private TcDump() {
    }

    /**
     * The filters (not the per-priority chain heads the dump also reports, which have handle 0)
     * under {@code parent}: {@code 0xFFFFFFF2} for clsact ingress, {@code 0xFFFFFFF3} for egress.
     * Empty when the interface has no clsact qdisc.
     */
    public static List<Entry> filters(int ifindex, int parent, String context) {
        int fd = LibC.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0) {
            throw Failures.error(context, "open rtnetlink socket", Native.getLastError());
        }
        try {
            LibC.setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, new int[]{1}, 4); // best effort: clearer errors
            ByteBuffer req = ByteBuffer.allocate(NLMSG_HDRLEN + TCMSG_LEN).order(ByteOrder.nativeOrder());
            req.putInt(NLMSG_HDRLEN + TCMSG_LEN).putShort((short) RTM_GETTFILTER)
                    .putShort((short) (NLM_F_REQUEST | NLM_F_DUMP)).putInt(1).putInt(0);
            req.put((byte) 0).put((byte) 0).putShort((short) 0).putInt(ifindex).putInt(0).putInt(parent).putInt(0);
            if (LibC.send(fd, req.array(), req.capacity(), 0) < 0) {
                throw Failures.error(context, "send rtnetlink filter dump", Native.getLastError());
            }
            List<Entry> out = new ArrayList<>();
            byte[] buf = new byte[64 * 1024];
            for (int reads = 0; reads < MAX_READS; reads++) {
                long n = LibC.recv(fd, buf, buf.length, 0);
                if (n < 0) {
                    throw Failures.error(context, "read rtnetlink filter dump", Native.getLastError());
                }
                ByteBuffer b = ByteBuffer.wrap(buf, 0, (int) n).order(ByteOrder.nativeOrder());
                while (b.remaining() >= NLMSG_HDRLEN) {
                    int start = b.position();
                    int len = b.getInt(start);
                    int type = b.getShort(start + 4) & 0xffff;
                    if (len < NLMSG_HDRLEN || start + len > b.limit()) {
                        throw new IllegalStateException(context + ": malformed rtnetlink message (length " + len + ")");
                    }
                    if (type == NLMSG_DONE) {
                        return out;
                    }
                    if (type == NLMSG_ERROR) {
                        int error = -b.getInt(start + NLMSG_HDRLEN);
                        if (error == 0) {
                            return out;
                        }
                        if (error == Errno.EINVAL || error == Errno.ENOENT) {
                            return out; // no clsact qdisc on the interface: nothing hangs off it
                        }
                        throw Failures.error(context, "rtnetlink filter dump of ifindex " + ifindex, error);
                    }
                    if (type == RTM_NEWTFILTER && len >= NLMSG_HDRLEN + TCMSG_LEN) {
                        int handle = b.getInt(start + NLMSG_HDRLEN + 8);
                        int info = b.getInt(start + NLMSG_HDRLEN + 16);
                        if (handle != 0) {
                            out.add(new Entry(handle, info >>> 16, kind(b, start + NLMSG_HDRLEN + TCMSG_LEN, start + len)));
                        }
                    }
                    b.position(start + ((len + 3) & ~3));
                    if ((b.getShort(start + 6) & NLM_F_MULTI) == 0 && type != RTM_NEWTFILTER) {
                        return out;
                    }
                }
            }
            throw new IllegalStateException(context + ": rtnetlink filter dump did not end after " + MAX_READS + " reads");
        } finally {
            LibC.close(fd);
        }
    }

    private static String kind(ByteBuffer b, int at, int end) {
        while (at + 4 <= end) {
            int len = b.getShort(at) & 0xffff;
            int type = b.getShort(at + 2) & 0x3fff;
            if (len < 4 || at + len > end) {
                break;
            }
            if (type == TCA_KIND) {
                byte[] s = new byte[len - 4];
                b.get(at + 4, s);
                int z = 0;
                while (z < s.length && s[z] != 0) {
                    z++;
                }
                return new String(s, 0, z, StandardCharsets.US_ASCII);
            }
            at += (len + 3) & ~3;
        }
        return "?";
    }
}
