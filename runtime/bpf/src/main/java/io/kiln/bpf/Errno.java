package io.kiln.bpf;

import io.kiln.bpf.internal.LibBpf;
import io.kiln.bpf.internal.LibbpfLoader;
import io.kiln.bpf.internal.Structs;

/** errno values as a person reads them: "File exists (EEXIST)", never a bare -17. */
public final class Errno {
    public static final int EPERM = 1;
    public static final int EINTR = 4;
    public static final int ENOENT = 2;
    public static final int EBADF = 9;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int ENODEV = 19;
    public static final int EINVAL = 22;
    public static final int ENOSPC = 28;
    public static final int EOPNOTSUPP = 95;
    /** Kernel-internal "not supported", which bpf(2) leaks to user space (not in errno.h). */
    public static final int ENOTSUPP = 524;

    /** Linux x86_64 errno names by number (asm-generic/errno-base.h, errno.h). */
    private static final String[] NAMES = {
            null, "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG",
            "ENOEXEC", "EBADF", "ECHILD", "EAGAIN", "ENOMEM", "EACCES", "EFAULT", "ENOTBLK",
            "EBUSY", "EEXIST", "EXDEV", "ENODEV", "ENOTDIR", "EISDIR", "EINVAL", "ENFILE",
            "EMFILE", "ENOTTY", "ETXTBSY", "EFBIG", "ENOSPC", "ESPIPE", "EROFS", "EMLINK",
            "EPIPE", "EDOM", "ERANGE", "EDEADLK", "ENAMETOOLONG", "ENOLCK", "ENOSYS", "ENOTEMPTY",
            "ELOOP", null, "ENOMSG", "EIDRM", "ECHRNG", "EL2NSYNC", "EL3HLT", "EL3RST",
            "ELNRNG", "EUNATCH", "ENOCSI", "EL2HLT", "EBADE", "EBADR", "EXFULL", "ENOANO",
            "EBADRQC", "EBADSLT", null, "EBFONT", "ENOSTR", "ENODATA", "ETIME", "ENOSR",
            "ENONET", "ENOPKG", "EREMOTE", "ENOLINK", "EADV", "ESRMNT", "ECOMM", "EPROTO",
            "EMULTIHOP", "EDOTDOT", "EBADMSG", "EOVERFLOW", "ENOTUNIQ", "EBADFD", "EREMCHG", "ELIBACC",
            "ELIBBAD", "ELIBSCN", "ELIBMAX", "ELIBEXEC", "EILSEQ", "ERESTART", "ESTRPIPE", "EUSERS",
            "ENOTSOCK", "EDESTADDRREQ", "EMSGSIZE", "EPROTOTYPE", "ENOPROTOOPT", "EPROTONOSUPPORT", "ESOCKTNOSUPPORT", "EOPNOTSUPP",
            "EPFNOSUPPORT", "EAFNOSUPPORT", "EADDRINUSE", "EADDRNOTAVAIL", "ENETDOWN", "ENETUNREACH", "ENETRESET", "ECONNABORTED",
            "ECONNRESET", "ENOBUFS", "EISCONN", "ENOTCONN", "ESHUTDOWN", "ETOOMANYREFS", "ETIMEDOUT", "ECONNREFUSED",
            "EHOSTDOWN", "EHOSTUNREACH", "EALREADY", "EINPROGRESS", "ESTALE", "EUCLEAN", "ENOTNAM", "ENAVAIL",
            "EISNAM", "EREMOTEIO", "EDQUOT", "ENOMEDIUM", "EMEDIUMTYPE", "ECANCELED", "ENOKEY", "EKEYEXPIRED",
            "EKEYREVOKED", "EKEYREJECTED", "EOWNERDEAD", "ENOTRECOVERABLE", "ERFKILL", "EHWPOISON",
    };

    private Errno() {
    }

    /** The symbolic name ("EEXIST"), or "errno N" for a number without one. */
    public static String name(int errno) {
        int e = Math.abs(errno);
        if (e < NAMES.length && NAMES[e] != null) {
            return NAMES[e];
        }
        if (e == ENOTSUPP) {
            return "ENOTSUPP";
        }
        if (e >= 4000 && e < 4014) {
            return LIBBPF_NAMES[e - 4000];
        }
        return "errno " + e;
    }

    private static final String[] LIBBPF_NAMES = {
            "LIBBPF_ERRNO__LIBELF", "LIBBPF_ERRNO__FORMAT", "LIBBPF_ERRNO__KVERSION", "LIBBPF_ERRNO__ENDIAN",
            "LIBBPF_ERRNO__INTERNAL", "LIBBPF_ERRNO__RELOC", "LIBBPF_ERRNO__LOAD", "LIBBPF_ERRNO__VERIFY",
            "LIBBPF_ERRNO__PROG2BIG", "LIBBPF_ERRNO__KVER", "LIBBPF_ERRNO__PROGTYPE", "LIBBPF_ERRNO__WRNGPID",
            "LIBBPF_ERRNO__INVSEQ", "LIBBPF_ERRNO__NLPARSE",
    };

    /** "File exists (EEXIST)": libbpf's strerror (which also knows libbpf's own 4000+ codes) and the name. */
    public static String describe(int errno) {
        int e = Math.abs(errno);
        String text;
        if (e == ENOTSUPP) {
            text = "Operation not supported by this kernel";
        } else if (!LibbpfLoader.isLoaded()) {
            return name(e);
        } else {
            byte[] buf = new byte[256];
            LibBpf.libbpf_strerror(e, buf, buf.length);
            text = Structs.cString(buf);
        }
        return text + " (" + name(e) + ")";
    }
}
